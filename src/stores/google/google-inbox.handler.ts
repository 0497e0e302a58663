import { Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { StoreIdsService } from '../../accounts/store-ids.service';
import { Catalog } from '../../catalog/catalog';
import { Clock } from '../../common/clock';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { EntitlementService } from '../../entitlements/entitlement.service';
import {
  InboxHandler,
  InboxOutcome,
  PermanentInboxError,
  StoredInboxEvent,
} from '../../inbox/inbox.types';
import { InboxHandlerRegistry } from '../../inbox/inbox-handler.registry';
import { MetricsService } from '../../metrics/metrics.service';
import { GoogleInboxFailure } from './google-errors';
import {
  GoogleNotification,
  VOIDED_PRODUCT_TYPE_SUBSCRIPTION,
  decodeDeveloperNotification,
  subscriptionNotificationEffect,
  SubscriptionNotificationName,
} from './google-notification.parser';
import { PlayApiError, PlayDeveloperApi } from './google-play-api.client';
import {
  GoogleAdapterError,
  GoogleProductResolver,
  needsAcknowledgement,
  obfuscatedAccountId,
  primaryLineItem,
  SubscriptionPurchaseV2,
  toSubscriptionSnapshot,
} from './google-subscription.adapter';
import type { GoogleInboxPayload } from './google-webhook.service';

interface SyncRequest {
  inboxEventId: string;
  purchaseToken: string;
  eventTime: Date;
  sourceEvent: string;
  revoked: boolean;
}

/**
 * Processes a stored Google push: decode the notification, check the package, and for a
 * subscription always re-read `purchases.subscriptionsv2.get` (the notification only says that
 * something changed), map it through the pure adapter, apply it, and acknowledge the purchase
 * while Google still waits for it.
 *
 * Throwing leaves the event in the inbox for a retry with backoff (Play API 5xx, 429, timeouts,
 * credentials); content no retry can fix (undecodable data, another package, a token Google
 * answers 404/410/400 for) fails at once with its reason.
 */
@Injectable()
export class GoogleInboxHandler implements InboxHandler, OnModuleInit {
  readonly store = 'google' as const;
  private readonly logger = new Logger(GoogleInboxHandler.name);
  private readonly unprocessable: Counter<'store' | 'reason'>;
  private readonly resolveProduct: GoogleProductResolver;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly play: PlayDeveloperApi,
    private readonly entitlements: EntitlementService,
    private readonly storeIds: StoreIdsService,
    private readonly clock: Clock,
    private readonly registry: InboxHandlerRegistry,
    catalog: Catalog,
    metrics: MetricsService,
  ) {
    this.resolveProduct = (productId, basePlanId) =>
      basePlanId === null ? null : catalog.product('google', productId, basePlanId);
    this.unprocessable = metrics.counter(
      'store_events_unprocessable_total',
      'Verified store events stored but impossible to process, by store and reason',
      ['store', 'reason'],
    );
  }

  onModuleInit(): void {
    this.registry.register(this);
  }

  async handle(event: StoredInboxEvent): Promise<InboxOutcome> {
    const payload = event.payload as Partial<GoogleInboxPayload> | null;
    const data = payload?.message?.data;
    if (typeof data !== 'string') {
      throw this.permanent(
        GoogleInboxFailure.NotADeveloperNotification,
        'The stored message has no data.',
      );
    }
    const decoded = decodeDeveloperNotification(data);
    if (!decoded.ok) throw this.permanent(decoded.failure, decoded.message);
    const notification = decoded.notification;
    if (notification.packageName !== this.config.google.packageName) {
      throw this.permanent(
        GoogleInboxFailure.WrongPackage,
        'The notification is for another package than GOOGLE_PACKAGE_NAME.',
      );
    }
    return this.dispatch(event, notification);
  }

  private async dispatch(event: StoredInboxEvent, n: GoogleNotification): Promise<InboxOutcome> {
    switch (n.kind) {
      case 'subscription': {
        const effect = n.knownType
          ? subscriptionNotificationEffect(n.typeName as SubscriptionNotificationName)
          : 'reread';
        return this.sync({
          inboxEventId: event.id,
          purchaseToken: n.purchaseToken,
          eventTime: n.eventTime,
          sourceEvent: n.typeName,
          revoked: effect === 'reread_and_revoke',
        });
      }
      case 'voided_purchase':
        if (n.productType !== VOIDED_PRODUCT_TYPE_SUBSCRIPTION) {
          return {
            kind: 'ignored',
            note: `voided purchase of product type ${n.productType} (not a subscription)`,
          };
        }
        return this.sync({
          inboxEventId: event.id,
          purchaseToken: n.purchaseToken,
          eventTime: n.eventTime,
          sourceEvent: 'VOIDED_PURCHASE',
          revoked: true,
        });
      case 'test':
        return { kind: 'ignored', note: 'test notification' };
      case 'one_time_product':
        return { kind: 'ignored', note: 'one-time product notification (no subscription)' };
      case 'other':
        return {
          kind: 'ignored',
          note: `notification of an unhandled kind (${n.fields.join(', ') || 'none'})`,
        };
      default: {
        const unhandled: never = n;
        throw new Error(`Unhandled notification ${JSON.stringify(unhandled)}`);
      }
    }
  }

  private async sync(req: SyncRequest): Promise<InboxOutcome> {
    const packageName = this.config.google.packageName!;
    const purchase = await this.read(packageName, req.purchaseToken);
    const readAt = this.clock.now();
    const externalId = obfuscatedAccountId(purchase);
    const accountId =
      externalId === null ? null : await this.storeIds.accountForGoogleId(externalId);

    let snapshot;
    try {
      snapshot = toSubscriptionSnapshot({
        purchaseToken: req.purchaseToken,
        purchase,
        accountId,
        readAt,
        eventTime: req.eventTime,
        sourceEvent: req.sourceEvent,
        revoked: req.revoked,
        resolveProduct: this.resolveProduct,
      });
    } catch (err) {
      if (err instanceof GoogleAdapterError) throw this.permanent(err.code, err.message);
      throw err;
    }

    const result = await this.entitlements.apply(snapshot, { inboxEventId: req.inboxEventId });
    const notes = [
      `${snapshot.status}${snapshot.plan ? ` ${snapshot.plan}` : ' (unknown product)'}`,
      result.stale ? 'stale' : result.transitions.join(',') || 'no change',
    ];
    if (accountId === null)
      notes.push(externalId === null ? 'unlinked' : 'unlinked (unknown account id)');
    if (await this.acknowledgeIfPending(packageName, req.purchaseToken, purchase))
      notes.push('acknowledged');
    return { kind: 'processed', note: notes.join('; ') };
  }

  private async read(packageName: string, token: string): Promise<SubscriptionPurchaseV2> {
    try {
      return await this.play.getSubscription(packageName, token);
    } catch (err) {
      if (err instanceof PlayApiError && !err.retryable) {
        const code =
          err.kind === 'not_found'
            ? GoogleInboxFailure.PurchaseTokenNotFound
            : err.kind === 'gone'
              ? GoogleInboxFailure.PurchaseTokenGone
              : GoogleInboxFailure.PurchaseTokenInvalid;
        throw this.permanent(code, err.message);
      }
      // 5xx, 429, timeouts, network, credentials: the inbox retries with backoff.
      throw err;
    }
  }

  /** Returns whether it acknowledged. A refusal that no retry can change is logged, not retried. */
  private async acknowledgeIfPending(
    packageName: string,
    token: string,
    purchase: SubscriptionPurchaseV2,
  ): Promise<boolean> {
    if (!needsAcknowledgement(purchase)) return false;
    const item = primaryLineItem(purchase, this.resolveProduct);
    if (!item?.productId) return false;
    try {
      await this.play.acknowledgeSubscription(packageName, item.productId, token);
      return true;
    } catch (err) {
      if (err instanceof PlayApiError && !err.retryable) {
        this.logger.warn({
          msg: 'Google refused the acknowledgement',
          kind: err.kind,
          status: err.status,
        });
        return false;
      }
      throw err;
    }
  }

  private permanent(code: GoogleInboxFailure, message: string): PermanentInboxError {
    this.unprocessable.inc({ store: 'google', reason: code });
    return new PermanentInboxError(code, message);
  }
}
