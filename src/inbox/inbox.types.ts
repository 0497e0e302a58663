import type { Store } from '../entitlements/domain/subscription-snapshot';

/** A verified store event, as written to the inbox before the store gets its 2xx. */
export interface InboxEventInput {
  store: Store;
  /** Stripe event.id, Apple notificationUUID, Google Pub/Sub messageId. Unique per store. */
  storeEventId: string;
  /** Stripe event.type, Apple notificationType[/subtype], Google notification kind. */
  eventType: string;
  /** The store's own time for the event, when known (ordering is still done on snapshots). */
  occurredAt: Date | null;
  /** The verified payload, kept as received (decoded JSON). */
  payload: unknown;
}

export type InboxStatus = 'pending' | 'processing' | 'processed' | 'ignored' | 'failed';

export interface StoredInboxEvent extends InboxEventInput {
  id: string;
  status: InboxStatus;
  attempts: number;
  receivedAt: Date;
}

/** What a handler reports for a processed event (recorded on the inbox row). */
export type InboxOutcome =
  | { kind: 'processed'; note?: string }
  /** Stored and acknowledged, nothing to change (unknown event types, TEST notifications). */
  | { kind: 'ignored'; note: string };

/** One per store; registered with the inbox worker. Throwing = retry with backoff. */
export interface InboxHandler {
  readonly store: Store;
  handle(event: StoredInboxEvent): Promise<InboxOutcome>;
}

/** Thrown by a handler when retrying can never help (malformed content, 404 for a token): fails at once, reported. */
export class PermanentInboxError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'PermanentInboxError';
  }
}
