import { Column, Entity, Index, PrimaryColumn, Unique } from 'typeorm';
import type { Store } from '../entitlements/domain';
import type { InboxStatus } from './inbox.types';

/** A verified store event, stored before the store got its 2xx; processed by the inbox worker. */
@Entity({ name: 'inbox_events' })
@Unique('UQ_inbox_events_store_event', ['store', 'storeEventId'])
@Index('IDX_inbox_events_due', ['status', 'nextAttemptAt'])
@Index('IDX_inbox_events_listing', ['status', 'receivedAt'])
export class InboxEventEntity {
  @PrimaryColumn({ type: 'uuid', primaryKeyConstraintName: 'PK_inbox_events' })
  id!: string;

  @Column({ type: 'varchar', length: 16 })
  store!: Store;

  @Column({ name: 'store_event_id', type: 'text' })
  storeEventId!: string;

  @Column({ name: 'event_type', type: 'varchar', length: 255 })
  eventType!: string;

  @Column({ name: 'occurred_at', type: 'timestamptz', nullable: true })
  occurredAt!: Date | null;

  @Column({ type: 'jsonb' })
  payload!: unknown;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  status!: InboxStatus;

  @Column({ type: 'integer', default: 0 })
  attempts!: number;

  /** Pending: when it may be tried (again). */
  @Column({ name: 'next_attempt_at', type: 'timestamptz' })
  nextAttemptAt!: Date;

  /** Processing: the claim's lease; past it, another worker may take the event over. */
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil!: Date | null;

  @Column({ name: 'locked_by', type: 'varchar', length: 128, nullable: true })
  lockedBy!: string | null;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError!: string | null;

  @Column({ name: 'outcome_note', type: 'text', nullable: true })
  outcomeNote!: string | null;

  @Column({ name: 'received_at', type: 'timestamptz' })
  receivedAt!: Date;

  @Column({ name: 'processed_at', type: 'timestamptz', nullable: true })
  processedAt!: Date | null;

  @Column({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
