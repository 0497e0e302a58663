import { GoogleInboxFailure } from './google-errors';
import {
  SUBSCRIPTION_NOTIFICATION_TYPES,
  SubscriptionNotificationName,
  classifyDeveloperNotification,
  decodeDeveloperNotification,
  notificationEventType,
  parsePushEnvelope,
  subscriptionNotificationEffect,
  subscriptionNotificationName,
} from './google-notification.parser';

const b64 = (value: unknown): string =>
  Buffer.from(typeof value === 'string' ? value : JSON.stringify(value), 'utf8').toString('base64');

const EVENT_MS = '1767225600000'; // 2026-01-01T00:00:00Z

describe('RTDN subscription notification types', () => {
  // Every type the issue names (1–13 and 20), with Google's name and what the handler does.
  const table: [number, SubscriptionNotificationName, 'reread' | 'reread_and_revoke'][] = [
    [1, 'SUBSCRIPTION_RECOVERED', 'reread'],
    [2, 'SUBSCRIPTION_RENEWED', 'reread'],
    [3, 'SUBSCRIPTION_CANCELED', 'reread'],
    [4, 'SUBSCRIPTION_PURCHASED', 'reread'],
    [5, 'SUBSCRIPTION_ON_HOLD', 'reread'],
    [6, 'SUBSCRIPTION_IN_GRACE_PERIOD', 'reread'],
    [7, 'SUBSCRIPTION_RESTARTED', 'reread'],
    [8, 'SUBSCRIPTION_PRICE_CHANGE_CONFIRMED', 'reread'],
    [9, 'SUBSCRIPTION_DEFERRED', 'reread'],
    [10, 'SUBSCRIPTION_PAUSED', 'reread'],
    [11, 'SUBSCRIPTION_PAUSE_SCHEDULE_CHANGED', 'reread'],
    [12, 'SUBSCRIPTION_REVOKED', 'reread_and_revoke'],
    [13, 'SUBSCRIPTION_EXPIRED', 'reread'],
    [20, 'SUBSCRIPTION_PENDING_PURCHASE_CANCELED', 'reread'],
  ];

  it.each(table)('type %i is %s and is handled by %s', (type, name, effect) => {
    expect(subscriptionNotificationName(type)).toBe(name);
    expect(subscriptionNotificationEffect(name)).toBe(effect);
    const decoded = decodeDeveloperNotification(
      b64({
        version: '1.0',
        packageName: 'com.example.app',
        eventTimeMillis: EVENT_MS,
        subscriptionNotification: {
          version: '1.0',
          notificationType: type,
          purchaseToken: 'tok-1',
        },
      }),
    );
    expect(decoded).toEqual({
      ok: true,
      notification: {
        kind: 'subscription',
        packageName: 'com.example.app',
        eventTime: new Date('2026-01-01T00:00:00Z'),
        notificationType: type,
        typeName: name,
        knownType: true,
        purchaseToken: 'tok-1',
        subscriptionId: null,
      },
    });
  });

  it('has an effect for every documented type, not only the ones above', () => {
    for (const name of Object.values(SUBSCRIPTION_NOTIFICATION_TYPES)) {
      expect(['reread', 'reread_and_revoke']).toContain(subscriptionNotificationEffect(name));
    }
  });

  it('keeps the number of a type Google adds later, still re-reading it', () => {
    const decoded = classifyDeveloperNotification({
      packageName: 'com.example.app',
      eventTimeMillis: EVENT_MS,
      subscriptionNotification: { notificationType: 99, purchaseToken: 'tok-1' },
    });
    expect(decoded).toMatchObject({
      ok: true,
      notification: {
        kind: 'subscription',
        typeName: 'SUBSCRIPTION_NOTIFICATION_99',
        knownType: false,
      },
    });
  });
});

describe('decodeDeveloperNotification', () => {
  it('accepts eventTimeMillis as a number and notificationType as a string', () => {
    const decoded = decodeDeveloperNotification(
      b64({
        packageName: 'p',
        eventTimeMillis: 1767225600000,
        subscriptionNotification: {
          notificationType: '2',
          purchaseToken: 't',
          subscriptionId: 'unlimited',
        },
      }),
    );
    expect(decoded).toMatchObject({
      ok: true,
      notification: {
        eventTime: new Date('2026-01-01T00:00:00Z'),
        notificationType: 2,
        subscriptionId: 'unlimited',
      },
    });
  });

  it('reads a voided subscription purchase', () => {
    const decoded = decodeDeveloperNotification(
      b64({
        version: '1.0',
        packageName: 'p',
        eventTimeMillis: EVENT_MS,
        voidedPurchaseNotification: {
          purchaseToken: 't',
          orderId: 'GPA.1',
          productType: 1,
          refundType: 1,
        },
      }),
    );
    expect(decoded).toEqual({
      ok: true,
      notification: {
        kind: 'voided_purchase',
        packageName: 'p',
        eventTime: new Date('2026-01-01T00:00:00Z'),
        purchaseToken: 't',
        orderId: 'GPA.1',
        productType: 1,
        refundType: 1,
      },
    });
  });

  it.each([
    ['testNotification', { testNotification: { version: '1.0' } }, 'test', 'TEST_NOTIFICATION'],
    [
      'oneTimeProductNotification',
      {
        oneTimeProductNotification: {
          version: '1.0',
          notificationType: 1,
          purchaseToken: 't',
          sku: 's',
        },
      },
      'one_time_product',
      'ONE_TIME_PRODUCT_NOTIFICATION',
    ],
    ['an unknown kind', { pendingRefundReviewNotification: {} }, 'other', 'OTHER_NOTIFICATION'],
  ])('classifies %s', (_label, extra, kind, eventType) => {
    const decoded = decodeDeveloperNotification(
      b64({ packageName: 'p', eventTimeMillis: EVENT_MS, ...extra }),
    );
    if (!decoded.ok) throw new Error('expected a notification');
    expect(decoded.notification.kind).toBe(kind);
    expect(notificationEventType(decoded.notification)).toBe(eventType);
  });

  it.each([
    ['not base64', '%%%not base64%%%', GoogleInboxFailure.DataNotBase64Json],
    ['base64 of text that is not JSON', b64('hello world'), GoogleInboxFailure.DataNotBase64Json],
    ['a JSON array', b64([1, 2]), GoogleInboxFailure.NotADeveloperNotification],
    [
      'no packageName',
      b64({ eventTimeMillis: EVENT_MS }),
      GoogleInboxFailure.NotADeveloperNotification,
    ],
    [
      'a bad eventTimeMillis',
      b64({ packageName: 'p', eventTimeMillis: 'yesterday' }),
      GoogleInboxFailure.NotADeveloperNotification,
    ],
    [
      'a subscription notification without token',
      b64({
        packageName: 'p',
        eventTimeMillis: EVENT_MS,
        subscriptionNotification: { notificationType: 2 },
      }),
      GoogleInboxFailure.NotADeveloperNotification,
    ],
    [
      'a voided purchase without productType',
      b64({
        packageName: 'p',
        eventTimeMillis: EVENT_MS,
        voidedPurchaseNotification: { purchaseToken: 't' },
      }),
      GoogleInboxFailure.NotADeveloperNotification,
    ],
  ])('refuses %s', (_label, data, failure) => {
    const decoded = decodeDeveloperNotification(data);
    expect(decoded).toEqual({ ok: false, failure, message: expect.any(String) });
  });
});

describe('parsePushEnvelope', () => {
  const body = {
    message: {
      attributes: { key: 'value' },
      data: 'eyJ9',
      messageId: '136969346945',
      message_id: '136969346945',
      publishTime: '2026-01-01T00:00:01.000Z',
      publish_time: '2026-01-01T00:00:01.000Z',
    },
    subscription: 'projects/myproject/subscriptions/mysubscription',
  };

  it('reads a Pub/Sub push body, tolerating the snake_case twins', () => {
    expect(parsePushEnvelope(body)).toEqual({
      messageId: '136969346945',
      data: 'eyJ9',
      publishTime: new Date('2026-01-01T00:00:01Z'),
      attributes: { key: 'value' },
      subscription: 'projects/myproject/subscriptions/mysubscription',
    });
  });

  it('falls back to message_id and publish_time', () => {
    const parsed = parsePushEnvelope({
      message: { data: 'eyJ9', message_id: '7', publish_time: 'garbage' },
    });
    expect(parsed).toEqual({
      messageId: '7',
      data: 'eyJ9',
      publishTime: null,
      attributes: {},
      subscription: null,
    });
  });

  it.each([
    ['null', null],
    ['a string', 'hello'],
    ['no message', { subscription: 's' }],
    ['no messageId', { message: { data: 'eyJ9' } }],
    ['an empty messageId', { message: { data: 'eyJ9', messageId: '' } }],
    ['no data', { message: { messageId: '1' } }],
    ['numeric data', { message: { messageId: '1', data: 12 } }],
  ])('refuses %s', (_label, input) => {
    expect(parsePushEnvelope(input)).toBeNull();
  });
});
