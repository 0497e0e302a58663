import { Injectable, Logger } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { AppException } from '../../common/errors/app.exception';
import { InboxService } from '../../inbox/inbox.service';
import { MetricsService } from '../../metrics/metrics.service';
import { appleEventName } from './apple-notification.types';
import { AppleNotificationVerifier } from './apple-notification.verifier';

/**
 * `POST /webhooks/apple`: verify the signed payload, store it in the inbox (once per
 * notificationUUID), acknowledge. Processing happens later, from the inbox.
 *
 * A notification that fails verification is refused with a 4xx (503 when Apple notifications are
 * not configured), counted by reason, and nothing is stored; the App Store retries a refused
 * delivery on its schedule.
 */
@Injectable()
export class AppleWebhookService {
  private readonly logger = new Logger(AppleWebhookService.name);
  private readonly rejections: Counter<'store' | 'reason'>;

  constructor(
    private readonly verifier: AppleNotificationVerifier,
    private readonly inbox: InboxService,
    metrics: MetricsService,
  ) {
    this.rejections = metrics.counter(
      'webhook_rejections_total',
      'Store webhook requests refused before storage, by store and reason',
      ['store', 'reason'],
    );
  }

  async receive(signedPayload: unknown): Promise<{ received: true; duplicate: boolean }> {
    let verified;
    try {
      verified = await this.verifier.verify(signedPayload);
    } catch (err) {
      if (err instanceof AppException) {
        this.rejections.inc({ store: 'apple', reason: err.code });
        this.logger.warn({ msg: 'App Store notification refused', code: err.code });
      }
      throw err;
    }
    const { notification } = verified;
    const { duplicate } = await this.inbox.receive({
      store: 'apple',
      storeEventId: notification.notificationUUID,
      eventType: appleEventName(notification),
      occurredAt: new Date(notification.signedDate),
      payload: verified,
    });
    return { received: true, duplicate };
  }
}
