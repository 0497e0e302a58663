import { appleEventName, parseStoredAppleNotification } from './apple-notification.types';

const stored = {
  environment: 'Production',
  notification: {
    notificationType: 'DID_RENEW',
    notificationUUID: '0f3c1b5e-2f5e-4c51-9a0f-1c2b3d4e5f60',
    signedDate: 1_773_144_000_000,
    version: '2.0',
    data: { status: 1 },
  },
  transaction: { originalTransactionId: '2000000812345678' },
  renewalInfo: null,
};

describe('appleEventName', () => {
  it('names a notification TYPE or TYPE/SUBTYPE', () => {
    expect(appleEventName({ notificationType: 'DID_RENEW' })).toBe('DID_RENEW');
    expect(appleEventName({ notificationType: 'DID_RENEW', subtype: 'BILLING_RECOVERY' })).toBe(
      'DID_RENEW/BILLING_RECOVERY',
    );
  });
});

describe('parseStoredAppleNotification', () => {
  it('reads back what the webhook stored', () => {
    const parsed = parseStoredAppleNotification(JSON.parse(JSON.stringify(stored)));
    expect(parsed?.notification.notificationUUID).toBe(stored.notification.notificationUUID);
    expect(parsed?.transaction?.originalTransactionId).toBe('2000000812345678');
    expect(parsed?.renewalInfo).toBeNull();
  });

  it.each([
    ['not an object', 'text'],
    ['another environment', { ...stored, environment: 'Xcode' }],
    ['no notification', { ...stored, notification: null }],
    [
      'no notificationUUID',
      { ...stored, notification: { ...stored.notification, notificationUUID: 1 } },
    ],
    ['no signedDate', { ...stored, notification: { ...stored.notification, signedDate: '1' } }],
    ['data not an object', { ...stored, notification: { ...stored.notification, data: [] } }],
    ['transaction not an object', { ...stored, transaction: 'jws' }],
    ['renewal info missing', { ...stored, renewalInfo: undefined }],
  ])('refuses %s', (_name, value) => {
    expect(parseStoredAppleNotification(value)).toBeNull();
  });
});
