import {
  Inject,
  Injectable,
  Logger,
  OnApplicationBootstrap,
  OnModuleDestroy,
} from '@nestjs/common';
import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import { DataSource } from 'typeorm';
import { Clock } from '../common/clock';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { Store } from '../entitlements/domain';
import { MetricsService } from '../metrics/metrics.service';
import { backoffDelayMs, describeError } from './inbox-backoff';
import { InboxHandlerRegistry } from './inbox-handler.registry';
import { InboxReceiveGauge } from './inbox-receive.gauge';
import {
  PermanentInboxError,
  type InboxOutcome,
  type InboxStatus,
  type StoredInboxEvent,
} from './inbox.types';

interface ClaimedRow {
  id: string;
  store: Store;
  store_event_id: string;
  event_type: string;
  occurred_at: Date | null;
  payload: unknown;
  status: InboxStatus;
  attempts: number;
  received_at: Date;
  locked_by: string;
}

/** Events claimed per pick; small, so a claim never holds many events another instance could take. */
const BATCH_SIZE = 10;
/**
 * Events claimed per pick while this instance is storing receives. A claimed batch runs at once,
 * so this bounds how much processing competes with acknowledgements for the CPU (the event loop,
 * and Postgres on the same machine); once receives stop, batches are full again.
 */
const BATCH_SIZE_WHILE_RECEIVING = 3;
/** How long shutdown waits for the event in hand. */
const STOP_WAIT_MS = 10_000;
/** An event whose store has no handler here waits this long (it is never dropped). */
const NO_HANDLER_DELAY_MS = 60_000;

/**
 * Processes the inbox in every service instance.
 *
 * Claim, then process: a short statement moves due events to `processing` with a lease
 * (`locked_until`, `locked_by`) picked with `FOR UPDATE SKIP LOCKED`, so instances never pick the
 * same event; the handler runs outside any transaction; the outcome is written only while the
 * claim is still ours. A crashed instance's claims are taken over once their lease ends (the
 * claim counts as an attempt, so an event that crashes every instance still fails in the end).
 * A claimed batch runs concurrently; while this instance is storing receives the batches are
 * smaller, so acknowledging a burst of webhooks comes before working it off.
 *
 * Handler failure: back to `pending` with exponential backoff and `last_error`; a
 * `PermanentInboxError` or the last allowed attempt: `failed` (metric, error log, admin listing).
 */
@Injectable()
export class InboxWorker implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger(InboxWorker.name);
  private readonly instanceId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  private claimCounter = 0;
  private running = false;
  private loopDone: Promise<void> = Promise.resolve();
  /** Passes run one at a time in this instance (the loop and `drain` share it). */
  private queue: Promise<unknown> = Promise.resolve();
  private wakeRequested = false;
  private wakeSleeper: (() => void) | null = null;
  private readonly missingHandlerLogged = new Set<Store>();

  constructor(
    private readonly dataSource: DataSource,
    private readonly registry: InboxHandlerRegistry,
    private readonly clock: Clock,
    private readonly metrics: MetricsService,
    private readonly receiving: InboxReceiveGauge,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.start();
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loopDone = this.loop();
  }

  /**
   * Stops polling and waits for the event in hand to finish, for a bounded time: an event still
   * in hand after that keeps its lease and another instance takes it over when the lease ends.
   */
  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    const bound = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, STOP_WAIT_MS);
    });
    const finished = Promise.all([this.loopDone, this.queue.catch(() => undefined)]);
    await Promise.race([finished, bound]);
    clearTimeout(timer);
  }

  /** Look for due events now instead of at the next poll (called after a receive). */
  wake(): void {
    this.wakeRequested = true;
    this.wakeSleeper?.();
  }

  /**
   * Processes every event due now, after whatever this instance is already doing; resolves with
   * the number of events handled. For tests and operator tooling.
   */
  drain(): Promise<number> {
    return this.exclusive(() => this.processDue(false));
  }

  private exclusive<T>(pass: () => Promise<T>): Promise<T> {
    const result = this.queue.then(pass, pass);
    this.queue = result.catch(() => undefined);
    return result;
  }

  private async loop(): Promise<void> {
    while (this.running) {
      this.wakeRequested = false;
      let handled = 0;
      try {
        handled = await this.exclusive(() => this.processDue(true));
      } catch (error) {
        // The database is unreachable or similar: keep the loop alive, try again after a poll.
        this.logger.error({ err: error }, 'inbox pass failed');
      }
      if (handled === 0 && this.running && !this.wakeRequested) {
        await this.sleep(this.config.inbox.pollIntervalMs);
      }
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.wakeSleeper = null;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.wakeSleeper = done;
    });
  }

  private async processDue(stopWithLoop: boolean): Promise<number> {
    let handled = 0;
    for (;;) {
      if (stopWithLoop && !this.running) return handled;
      const claimed = await this.claim();
      if (claimed.length === 0) return handled;
      // The batch runs concurrently: every claimed event starts now (so the attempt its claim
      // charged is a real one), and one slow store call does not hold up the rest. Events of one
      // subscription may run side by side: snapshots are applied under compare-and-set and the
      // newest wins, so their order does not matter.
      await Promise.all(claimed.map((row) => this.process(row)));
      handled += claimed.length;
    }
  }

  private async claim(): Promise<ClaimedRow[]> {
    const now = this.clock.now();
    const token = `${this.instanceId}#${++this.claimCounter}`;
    const leaseEnd = new Date(now.getTime() + this.config.inbox.leaseMs);
    return this.dataSource.query(
      `WITH due AS (
         SELECT id FROM inbox_events
          WHERE (status = 'pending' AND next_attempt_at <= $1)
             OR (status = 'processing' AND locked_until <= $1)
          ORDER BY next_attempt_at, received_at
          LIMIT $2
          FOR UPDATE SKIP LOCKED),
       claimed AS (
         UPDATE inbox_events e
            SET status = 'processing', attempts = e.attempts + 1, locked_by = $3,
                locked_until = $4, updated_at = $1
           FROM due
          WHERE e.id = due.id
            AND (e.status = 'pending' OR (e.status = 'processing' AND e.locked_until <= $1))
          RETURNING e.id, e.store, e.store_event_id, e.event_type, e.occurred_at, e.payload,
                    e.status, e.attempts, e.received_at, e.locked_by, e.next_attempt_at)
       SELECT * FROM claimed ORDER BY next_attempt_at, received_at`,
      [now, this.receiving.busy ? BATCH_SIZE_WHILE_RECEIVING : BATCH_SIZE, token, leaseEnd],
    );
  }

  private async process(row: ClaimedRow): Promise<void> {
    const attempts = Number(row.attempts);
    const event: StoredInboxEvent = {
      id: row.id,
      store: row.store,
      storeEventId: row.store_event_id,
      eventType: row.event_type,
      occurredAt: row.occurred_at === null ? null : new Date(row.occurred_at),
      payload: row.payload,
      status: 'processing',
      attempts,
      receivedAt: new Date(row.received_at),
    };
    const handler = this.registry.get(event.store);
    if (handler === undefined) {
      await this.postpone(row);
      return;
    }
    if (attempts > this.config.inbox.maxAttempts) {
      // Claims that ran out without an answer (instances crashed or hung on this event).
      await this.fail(row, event, `gave up after ${attempts - 1} unanswered attempts`);
      return;
    }
    let outcome: InboxOutcome;
    try {
      outcome = await this.withinLease(handler.handle(event));
    } catch (error) {
      if (error instanceof PermanentInboxError || attempts >= this.config.inbox.maxAttempts) {
        await this.fail(row, event, describeError(error), error);
      } else {
        await this.retryLater(row, event, error);
      }
      return;
    }
    await this.complete(row, event, outcome);
  }

  /**
   * A handler that outlives its lease is abandoned (the event goes back for retry) so one hung
   * store call cannot stall this instance's inbox; whatever it still does is idempotent.
   */
  private async withinLease<T>(work: Promise<T>): Promise<T> {
    const ms = this.config.inbox.leaseMs;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`the handler took longer than ${ms} ms`)), ms);
    });
    try {
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Writes an outcome only while the claim is still ours; false when another instance took over. */
  private async finish(row: ClaimedRow, set: string, params: unknown[]): Promise<boolean> {
    const rows: { id: string }[] = await this.dataSource.query(
      `WITH finished AS (
         UPDATE inbox_events
            SET ${set}, locked_by = NULL, locked_until = NULL, updated_at = $3
          WHERE id = $1 AND locked_by = $2 AND status = 'processing'
          RETURNING id)
       SELECT id FROM finished`,
      [row.id, row.locked_by, this.clock.now(), ...params],
    );
    if (rows.length === 0) {
      this.logger.warn(
        { eventId: row.id, store: row.store },
        'inbox claim expired before the outcome was written; another instance took the event over',
      );
      return false;
    }
    return true;
  }

  private async complete(
    row: ClaimedRow,
    event: StoredInboxEvent,
    outcome: InboxOutcome,
  ): Promise<void> {
    const status: InboxStatus = outcome.kind === 'ignored' ? 'ignored' : 'processed';
    const written = await this.finish(
      row,
      `status = $4, outcome_note = $5, processed_at = $3, last_error = NULL`,
      [status, outcome.note ?? null],
    );
    if (!written) return;
    this.processedCounter.inc({ store: event.store, outcome: status });
    this.logger.log(
      { eventId: event.id, store: event.store, eventType: event.eventType, outcome: status },
      'inbox event processed',
    );
  }

  private async retryLater(
    row: ClaimedRow,
    event: StoredInboxEvent,
    error: unknown,
  ): Promise<void> {
    const { backoffBaseMs, backoffMaxMs } = this.config.inbox;
    const delay = backoffDelayMs(event.attempts, backoffBaseMs, backoffMaxMs);
    const nextAttemptAt = new Date(this.clock.now().getTime() + delay);
    const message = describeError(error);
    const written = await this.finish(
      row,
      `status = 'pending', next_attempt_at = $4, last_error = $5`,
      [nextAttemptAt, message],
    );
    if (!written) return;
    this.processedCounter.inc({ store: event.store, outcome: 'retry' });
    this.logger.warn(
      {
        eventId: event.id,
        store: event.store,
        eventType: event.eventType,
        attempts: event.attempts,
        nextAttemptAt: nextAttemptAt.toISOString(),
        err: error,
      },
      'inbox event failed; will retry',
    );
  }

  private async fail(
    row: ClaimedRow,
    event: StoredInboxEvent,
    message: string,
    error?: unknown,
  ): Promise<void> {
    const written = await this.finish(row, `status = 'failed', last_error = $4`, [message]);
    if (!written) return;
    this.processedCounter.inc({ store: event.store, outcome: 'failed' });
    this.failedCounter.inc({ store: event.store });
    this.logger.error(
      {
        eventId: event.id,
        store: event.store,
        storeEventId: event.storeEventId,
        eventType: event.eventType,
        attempts: event.attempts,
        lastError: message,
        err: error,
      },
      'inbox event failed for good; retry it with POST /v1/admin/inbox/{id}/retry once fixed',
    );
  }

  /** No handler for this store here: give the claim back untouched, try again later. */
  private async postpone(row: ClaimedRow): Promise<void> {
    const nextAttemptAt = new Date(
      this.clock.now().getTime() + Math.min(NO_HANDLER_DELAY_MS, this.config.inbox.backoffMaxMs),
    );
    await this.finish(
      row,
      `status = 'pending', attempts = attempts - 1, next_attempt_at = $4, last_error = $5`,
      [nextAttemptAt, `no inbox handler is registered for store ${row.store}`],
    );
    if (!this.missingHandlerLogged.has(row.store)) {
      this.missingHandlerLogged.add(row.store);
      this.logger.warn(
        { store: row.store, eventId: row.id },
        'no inbox handler for this store; its events stay pending',
      );
    }
  }

  private get processedCounter() {
    return this.metrics.counter(
      'inbox_events_processed_total',
      'Inbox event processing outcomes (processed, ignored, retry, failed)',
      ['store', 'outcome'],
    );
  }

  private get failedCounter() {
    return this.metrics.counter(
      'inbox_events_failed_total',
      'Inbox events that failed for good (permanent error or attempts exhausted)',
      ['store'],
    );
  }
}
