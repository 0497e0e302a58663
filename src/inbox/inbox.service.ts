import { Injectable } from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import type { Counter } from 'prom-client';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { decodeCursor, encodeCursor } from '../common/keyset-cursor';
import { STORES, type Store } from '../entitlements/domain';
import { MetricsService } from '../metrics/metrics.service';
import { GroupCommitter } from '../common/group-commit';
import { inboxError, InboxErrorCode } from './inbox-errors';
import { InboxReceiveGauge } from './inbox-receive.gauge';
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

/** A received event as the group write inserts it. */
interface NewInboxRow {
  id: string;
  store: Store;
  storeEventId: string;
  eventType: string;
  occurredAt: Date | null;
  payloadJson: string;
  receivedAt: Date;
}

/** Receives written together, at most: bounds the statement (and its bind parameters). */
const GROUP_MAX_EVENTS = 64;
/** Payload characters written together, at most (a larger payload is written alone). */
const GROUP_MAX_PAYLOAD_CHARS = 4 * 1024 * 1024;
/**
 * Group writes in flight at once; receives arriving meanwhile queue for the next one. One: with
 * two, groups were smaller and the webhook benchmark acknowledged fewer events per second.
 */
const GROUP_MAX_IN_FLIGHT = 1;

/** SQLSTATE classes of a statement refused for its content: data exception, integrity, limits. */
const ROW_REFUSED_CLASSES = ['22', '23', '54'];

/** A group refused for the content of some row is written again row by row (see GroupCommitter). */
function refusedForContent(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && ROW_REFUSED_CLASSES.includes(code.slice(0, 2));
}

function eventKey(store: string, storeEventId: string): string {
  return `${store}\u0000${storeEventId}`;
}

const insertStatements = new Map<number, string>();

/** The multi-row insert of `count` events (the text is kept per count). */
function insertStatement(count: number): string {
  let sql = insertStatements.get(count);
  if (sql === undefined) {
    const values = Array.from({ length: count }, (_, i) => {
      const p = (n: number) => `$${i * 7 + n}`;
      return `(${p(1)}, ${p(2)}, ${p(3)}, ${p(4)}, ${p(5)}, ${p(6)}::jsonb, 'pending', 0, ${p(7)}, ${p(7)}, ${p(7)})`;
    });
    sql = `INSERT INTO inbox_events
         (id, store, store_event_id, event_type, occurred_at, payload, status, attempts,
          next_attempt_at, received_at, updated_at)
       VALUES ${values.join(',\n              ')}
       ON CONFLICT (store, store_event_id) DO NOTHING
       RETURNING id`;
    insertStatements.set(count, sql);
  }
  return sql;
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
  private readonly writer = new GroupCommitter<NewInboxRow, ReceiveResult>(
    (rows) => this.storeGroup(rows),
    {
      maxItems: GROUP_MAX_EVENTS,
      maxWeight: GROUP_MAX_PAYLOAD_CHARS,
      weigh: (row) => row.payloadJson.length,
      maxInFlight: GROUP_MAX_IN_FLIGHT,
      retryAlone: refusedForContent,
    },
  );

  private readonly received: Counter<'store' | 'duplicate'>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly worker: InboxWorker,
    private readonly clock: Clock,
    metrics: MetricsService,
    private readonly receiving: InboxReceiveGauge,
  ) {
    this.received = metrics.counter(
      'inbox_events_received_total',
      'Store events stored in the inbox',
      ['store', 'duplicate'],
    );
  }

  /**
   * Stores a verified event once per (store, storeEventId); a redelivery is a no-op that returns
   * the first delivery's id. When this resolves, the event is durable: the caller may answer 2xx.
   * Then wakes this instance's worker.
   *
   * Receives that arrive while a write is in flight are written together by the next one (one
   * statement, one commit), each resolved once that statement has committed.
   */
  async receive(input: InboxEventInput): Promise<ReceiveResult> {
    if (!STORES.includes(input.store)) throw new Error(`unknown store ${String(input.store)}`);
    if (typeof input.storeEventId !== 'string' || input.storeEventId === '') {
      throw new Error('an inbox event needs a store event id');
    }
    return this.receiving.track(
      this.writer.submit({
        id: randomUUID(),
        store: input.store,
        storeEventId: input.storeEventId,
        eventType: input.eventType.slice(0, 255),
        occurredAt: input.occurredAt,
        payloadJson: payloadJson(input.payload),
        receivedAt: this.clock.now(),
      }),
    );
  }

  /**
   * Writes one group of received events with a single multi-row insert. Within the group the
   * first delivery of a (store, storeEventId) is the one written, later ones are its duplicates;
   * an event already stored is looked up after the insert has committed.
   */
  private async storeGroup(rows: NewInboxRow[]): Promise<ReceiveResult[]> {
    const firstOfKey = new Map<string, NewInboxRow>();
    const written = rows.map((row) => {
      const key = eventKey(row.store, row.storeEventId);
      const first = firstOfKey.get(key);
      if (first !== undefined) return first;
      firstOfKey.set(key, row);
      return row;
    });
    // One order for every instance: two groups holding the same events wait for each other in
    // turn instead of deadlocking.
    const distinct = [...firstOfKey.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, row]) => row);
    const inserted: { id: string }[] = await this.dataSource.query(
      insertStatement(distinct.length),
      distinct.flatMap((r) => [
        r.id,
        r.store,
        r.storeEventId,
        r.eventType,
        r.occurredAt,
        r.payloadJson,
        r.receivedAt,
      ]),
    );
    if (inserted.length > 0) this.worker.wake();
    const insertedIds = new Set(inserted.map((r) => r.id));
    const storedBefore = await this.storedIds(distinct.filter((r) => !insertedIds.has(r.id)));
    const results = rows.map((row, i): ReceiveResult => {
      const first = written[i];
      if (insertedIds.has(first.id)) return { id: first.id, duplicate: first !== row };
      const id = storedBefore.get(eventKey(row.store, row.storeEventId));
      // Unreachable: the conflicting row exists and rows are never deleted.
      if (id === undefined) throw new Error('inbox conflict without a stored event');
      return { id, duplicate: true };
    });
    for (const [i, row] of rows.entries()) {
      this.received.inc({ store: row.store, duplicate: String(results[i].duplicate) });
    }
    return results;
  }

  /** The ids of events stored before, by (store, storeEventId). */
  private async storedIds(rows: NewInboxRow[]): Promise<Map<string, string>> {
    if (rows.length === 0) return new Map();
    const keys = rows.map((_, i) => `($${2 * i + 1}, $${2 * i + 2})`).join(', ');
    const stored: { id: string; store: Store; store_event_id: string }[] =
      await this.dataSource.query(
        `SELECT id, store, store_event_id FROM inbox_events
          WHERE (store, store_event_id) IN (${keys})`,
        rows.flatMap((r) => [r.store, r.storeEventId]),
      );
    return new Map(stored.map((r) => [eventKey(r.store, r.store_event_id), r.id]));
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
