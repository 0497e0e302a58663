import { Injectable, Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { StoreIdsService } from '../../accounts/store-ids.service';
import { Catalog } from '../../catalog/catalog';
import { EntitlementService } from '../../entitlements/entitlement.service';
import {
  PermanentInboxError,
  type InboxHandler,
  type InboxOutcome,
  type StoredInboxEvent,
} from '../../inbox/inbox.types';
import { MetricsService } from '../../metrics/metrics.service';
import {
  adaptAppleNotification,
  appAccountTokenOf,
  type ResolveProduct,
} from './apple-notification.adapter';
import { appleEventName, parseStoredAppleNotification } from './apple-notification.types';

/**
 * Processes a stored App Store notification: link the purchase through its appAccountToken, map
 * the verified transaction and renewal info through the pure adapter, apply the snapshot.
 *
 * Types that do not change a subscription (TEST, CONSUMPTION_REQUEST, PRICE_INCREASE, unknown
 * ones...) are recorded as ignored. Content no retry can fix fails at once with its reason;
 * anything else (the database) throws and the inbox retries.
 */
@Injectable()
export class AppleInboxHandler implements InboxHandler {
  readonly store = 'apple' as const;
  private readonly logger = new Logger(AppleInboxHandler.name);
  private readonly unprocessable: Counter<'store' | 'reason'>;
  private readonly resolveProduct: ResolveProduct;

  constructor(
    private readonly entitlements: EntitlementService,
    private readonly storeIds: StoreIdsService,
    catalog: Catalog,
    metrics: MetricsService,
  ) {
    this.resolveProduct = (productId) => catalog.product('apple', productId);
    this.unprocessable = metrics.counter(
      'store_events_unprocessable_total',
      'Verified store events stored but impossible to process, by store and reason',
      ['store', 'reason'],
    );
  }

  async handle(event: StoredInboxEvent): Promise<InboxOutcome> {
    const verified = parseStoredAppleNotification(event.payload);
    if (verified === null) {
      throw this.permanent(
        'apple_unreadable_payload',
        'The stored payload is not a verified App Store notification.',
      );
    }
    const token = appAccountTokenOf(verified);
    const accountId = token === null ? null : await this.storeIds.accountForAppleToken(token);
    const result = adaptAppleNotification(verified, {
      accountId,
      resolveProduct: this.resolveProduct,
    });
    switch (result.kind) {
      case 'ignored':
        return { kind: 'ignored', note: result.note };
      case 'invalid':
        throw this.permanent(result.code, result.message);
      case 'snapshot': {
        const { snapshot } = result;
        if (snapshot.plan === null) {
          this.logger.warn({
            msg: 'App Store product maps to no plan: stored, grants nothing',
            productId: snapshot.productId,
            event: appleEventName(verified.notification),
          });
        }
        const applied = await this.entitlements.apply(snapshot, { inboxEventId: event.id });
        const notes = [
          `${snapshot.status}${snapshot.plan ? ` ${snapshot.plan}` : ' (unknown product)'}`,
          applied.stale ? 'stale' : applied.transitions.join(',') || 'no change',
        ];
        if (applied.accountId === null) {
          notes.push(
            token === null ? 'unlinked (no appAccountToken)' : 'unlinked (unknown appAccountToken)',
          );
        }
        return { kind: 'processed', note: notes.join('; ') };
      }
      default: {
        const unreachable: never = result;
        throw new Error(`unhandled adapter result ${JSON.stringify(unreachable)}`);
      }
    }
  }

  private permanent(code: string, message: string): PermanentInboxError {
    this.unprocessable.inc({ store: 'apple', reason: code });
    return new PermanentInboxError(code, message);
  }
}
