import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { AppException } from '../../common/errors/app.exception';
import { APP_CONFIG, AppConfig } from '../../config/app-config';
import { InboxService } from '../../inbox/inbox.service';
import { MetricsService } from '../../metrics/metrics.service';
import { GoogleErrorCode, googleError } from './google-errors';
import {
  decodeDeveloperNotification,
  notificationEventType,
  parsePushEnvelope,
} from './google-notification.parser';
import { PubSubTokenVerifier } from './google-oidc.verifier';

/** What is stored in the inbox for a Google push: the verified Pub/Sub message as received. */
export interface GoogleInboxPayload {
  message: {
    messageId: string;
    data: string;
    publishTime: string | null;
    attributes: Record<string, string>;
  };
  subscription: string | null;
}

/**
 * `POST /webhooks/google`: authenticate the Pub/Sub push, store the message, acknowledge.
 *
 * A request that fails authentication or is not a push envelope is refused (4xx, counted) and
 * nothing is stored. A verified message is always stored before the 2xx, even when its content
 * is unusable (data that is not base64 JSON, another package): Pub/Sub would redeliver a 4xx
 * forever, so such a message is kept and failed in the inbox with its reason, where it is
 * reported and can be inspected; nothing is lost and nothing loops.
 */
@Injectable()
export class GoogleWebhookService {
  private readonly logger = new Logger(GoogleWebhookService.name);
  private readonly rejections: Counter<'store' | 'reason'>;

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    private readonly verifier: PubSubTokenVerifier,
    private readonly inbox: InboxService,
    metrics: MetricsService,
  ) {
    this.rejections = metrics.counter(
      'webhook_rejections_total',
      'Store webhook requests refused before storage, by store and reason',
      ['store', 'reason'],
    );
  }

  async receive(
    authorization: string | undefined,
    body: unknown,
  ): Promise<{ received: true; duplicate: boolean }> {
    const { packageName, pubsubAudience, pubsubServiceAccount } = this.config.google;
    if (!packageName || !pubsubAudience || !pubsubServiceAccount) {
      throw this.reject(googleError(GoogleErrorCode.NotConfigured));
    }
    try {
      await this.verifier.verify(authorization);
    } catch (err) {
      if (err instanceof AppException) throw this.reject(err);
      throw err;
    }
    const message = parsePushEnvelope(body);
    if (message === null) throw this.reject(googleError(GoogleErrorCode.InvalidEnvelope));

    const decoded = decodeDeveloperNotification(message.data);
    const eventType = decoded.ok ? notificationEventType(decoded.notification) : 'UNDECODABLE';
    const occurredAt = decoded.ok ? decoded.notification.eventTime : message.publishTime;
    const payload: GoogleInboxPayload = {
      message: {
        messageId: message.messageId,
        data: message.data,
        publishTime: message.publishTime?.toISOString() ?? null,
        attributes: message.attributes,
      },
      subscription: message.subscription,
    };
    const { duplicate } = await this.inbox.receive({
      store: 'google',
      storeEventId: message.messageId,
      eventType,
      occurredAt,
      payload,
    });
    return { received: true, duplicate };
  }

  private reject(err: AppException): AppException {
    this.rejections.inc({ store: 'google', reason: err.code });
    this.logger.warn({ msg: 'Google push refused', code: err.code, status: err.status });
    return err;
  }
}
