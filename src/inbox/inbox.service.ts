import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { decodeCursor, encodeCursor } from '../common/keyset-cursor';
import { STORES, type Store } from '../entitlements/domain';
import { MetricsService } from '../metrics/metrics.service';
import { inboxError, InboxErrorCode } from './inbox-errors';
import { InboxWorker } from './inbox.worker';
import type { InboxEventInput, InboxStatus } from './inbox.types';

export interface ReceiveResult {
  /** The inbox row's id (the first delivery's, for a duplicate). */
  id: string;
  /** The store delivered this event before: nothing was stored. */
  duplicate: boolean;
}

/** What operators see of an inbox event (never the raw payload). */
export interface InboxEventView {
  id: string;
  store: Store;
  storeEventId: string;
  eventType: string;
  status: InboxStatus;
  attempts: number;
  lastError: string | null;
  outcomeNote: string | null;
  occurredAt: string | null;
  receivedAt: string;
  nextAttemptAt: string | null;
  processedAt: string | null;
}

export interface InboxListQuery {
  status?: InboxStatus;
  store?: Store;
  limit?: number;
  /** Cursor of the previous page (its `nextBefore`). */
  before?: string;
}

export interface InboxPage {
  events: InboxEventView[];
  nextBefore: string | null;
}

interface InboxRow {
  id: string;
  store: Store;
  store_event_id: string;
  event_type: string;
  status: InboxStatus;
  attempts: number;
  last_error: string | null;
  outcome_note: string | null;
  occurred_at: Date | null;
  received_at: Date;
  next_attempt_at: Date;
  processed_at: Date | null;
}

const VIEW_COLUMNS = `id, store, store_event_id, event_type, status, attempts, last_error,
  outcome_note, occurred_at, received_at, next_attempt_at, processed_at`;

/** Postgres cannot store U+0000 in jsonb; a payload carrying one keeps a visible stand-in. */
function payloadJson(payload: unknown): string {
  const json = JSON.stringify(payload ?? null);
  // JSON.stringify writes U+0000 as this escape: without it there is nothing to replace.
  if (!json.includes('\\u0000')) return json;
  return JSON.stringify(payload ?? null, (_key, value: unknown) =>
    typeof value === 'string' ? value.replaceAll(String.fromCharCode(0), '\uFFFD') : value,
  );
}

function toView(row: InboxRow): InboxEventView {
  const iso = (d: Date | null): string | null => (d === null ? null : new Date(d).toISOString());
  return {
    id: row.id,
    store: row.store,
    storeEventId: row.store_event_id,
    eventType: row.event_type,
    status: row.status,
    attempts: Number(row.attempts),
    lastError: row.last_error,
    outcomeNote: row.outcome_note,
    occurredAt: iso(row.occurred_at),
    receivedAt: new Date(row.received_at).toISOString(),
    nextAttemptAt: row.status === 'pending' ? iso(row.next_attempt_at) : null,
    processedAt: iso(row.processed_at),
  };
}

/** Store, then acknowledge: the durable write every verified store event goes through. */
@Injectable()
export class InboxService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly worker: InboxWorker,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
  ) {}

  private get received() {
    return this.metrics.counter('inbox_events_received_total', 'Store events stored in the inbox', [
      'store',
      'duplicate',
    ]);
  }

  /**
   * Stores a verified event once per (store, storeEventId); a redelivery is a no-op that returns
   * the first delivery's id. When this resolves, the event is durable: the caller may answer 2xx.
   * Then wakes this instance's worker.
   */
  async receive(input: InboxEventInput): Promise<ReceiveResult> {
    if (!STORES.includes(input.store)) throw new Error(`unknown store ${String(input.store)}`);
    if (typeof input.storeEventId !== 'string' || input.storeEventId === '') {
      throw new Error('an inbox event needs a store event id');
    }
    const now = this.clock.now();
    const rows: { id: string }[] = await this.dataSource.query(
      `INSERT INTO inbox_events
         (id, store, store_event_id, event_type, occurred_at, payload, status, attempts,
          next_attempt_at, received_at, updated_at)
       VALUES ($1, $2, $3, $4, $5, $6::jsonb, 'pending', 0, $7, $7, $7)
       ON CONFLICT (store, store_event_id) DO NOTHING
       RETURNING id`,
      [
        randomUUID(),
        input.store,
        input.storeEventId,
        input.eventType.slice(0, 255),
        input.occurredAt,
        payloadJson(input.payload),
        now,
      ],
    );
    if (rows.length > 0) {
      this.received.inc({ store: input.store, duplicate: 'false' });
      this.worker.wake();
      return { id: rows[0].id, duplicate: false };
    }
    const existing: { id: string }[] = await this.dataSource.query(
      'SELECT id FROM inbox_events WHERE store = $1 AND store_event_id = $2',
      [input.store, input.storeEventId],
    );
    if (existing.length === 0) {
      // Unreachable: the conflicting row exists and rows are never deleted.
      throw new Error('inbox conflict without a stored event');
    }
    this.received.inc({ store: input.store, duplicate: 'true' });
    return { id: existing[0].id, duplicate: true };
  }

  /** One event as operators see it, or null. */
  async get(id: string): Promise<InboxEventView | null> {
    const rows: InboxRow[] = await this.dataSource.query(
      `SELECT ${VIEW_COLUMNS} FROM inbox_events WHERE id = $1`,
      [id],
    );
    return rows.length === 0 ? null : toView(rows[0]);
  }

  /** Events newest first, optionally of one status and store, a page at a time. */
  async list(query: InboxListQuery): Promise<InboxPage> {
    const limit = Math.min(Math.max(query.limit ?? 50, 1), 200);
    const where: string[] = [];
    const params: unknown[] = [];
    if (query.status !== undefined) {
      params.push(query.status);
      where.push(`status = $${params.length}`);
    }
    if (query.store !== undefined) {
      params.push(query.store);
      where.push(`store = $${params.length}`);
    }
    if (query.before !== undefined) {
      const position = decodeCursor(query.before);
      if (position === null) throw inboxError(InboxErrorCode.InvalidCursor);
      params.push(position.at, position.id);
      where.push(`(received_at, id) < ($${params.length - 1}, $${params.length}::uuid)`);
    }
    params.push(limit + 1);
    const rows: InboxRow[] = await this.dataSource.query(
      `SELECT ${VIEW_COLUMNS} FROM inbox_events
        ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY received_at DESC, id DESC
        LIMIT $${params.length}`,
      params,
    );
    const page = rows.slice(0, limit);
    const last = page[page.length - 1];
    return {
      events: page.map(toView),
      nextBefore:
        rows.length > limit && last !== undefined
          ? encodeCursor({ at: new Date(last.received_at), id: last.id })
          : null,
    };
  }

  /**
   * Puts a failed (or waiting) event back to be processed now, with a fresh attempt budget.
   * 404 for an unknown id, 409 when it was already processed or is being processed.
   */
  async retry(id: string): Promise<InboxEventView> {
    const now = this.clock.now();
    // A CTE so the driver hands back the rows of an UPDATE like those of a SELECT.
    const updated: InboxRow[] = await this.dataSource.query(
      `WITH retried AS (
         UPDATE inbox_events
            SET status = 'pending', attempts = 0, next_attempt_at = $2, locked_by = NULL,
                locked_until = NULL, updated_at = $2
          WHERE id = $1 AND status IN ('failed', 'pending')
          RETURNING ${VIEW_COLUMNS})
       SELECT * FROM retried`,
      [id, now],
    );
    const row = updated[0];
    if (row !== undefined) {
      this.worker.wake();
      return toView(row);
    }
    const current = await this.get(id);
    if (current === null) throw inboxError(InboxErrorCode.InboxEventNotFound);
    if (current.status === 'processing') throw inboxError(InboxErrorCode.InboxEventInProgress);
    throw inboxError(InboxErrorCode.InboxEventAlreadyProcessed);
  }
}
