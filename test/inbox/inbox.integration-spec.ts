import { randomUUID } from 'node:crypto';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/common/clock';
import { InboxReceiveGauge } from '../../src/inbox/inbox-receive.gauge';
import { InboxService } from '../../src/inbox/inbox.service';
import { InboxWorker } from '../../src/inbox/inbox.worker';
import { PermanentInboxError, type InboxEventInput } from '../../src/inbox/inbox.types';
import { MetricsService } from '../../src/metrics/metrics.service';
import { createTestApp, TestApp } from '../support/test-app';
import { createIsolatedDatabase } from '../support/test-database';
import { expectError } from '../support/http';
import { bearer } from '../support/test-keys';
import { eventually, ScriptedHandler, useHandlers } from './inbox-test-kit';

const START = new Date('2026-02-01T10:00:00Z');

function event(id: string, overrides: Partial<InboxEventInput> = {}): InboxEventInput {
  return {
    store: 'stripe',
    storeEventId: id,
    eventType: 'customer.subscription.updated',
    occurredAt: new Date('2026-02-01T09:59:00Z'),
    payload: { id, object: 'event', data: { object: { id: 'sub_1' } } },
    ...overrides,
  };
}

interface Row {
  status: string;
  attempts: number;
  last_error: string | null;
  outcome_note: string | null;
  next_attempt_at: Date;
  processed_at: Date | null;
  payload: unknown;
}

describe('event inbox (store, then process)', () => {
  let isolated: Awaited<ReturnType<typeof createIsolatedDatabase>>;
  let t: TestApp;
  let clock: ManualClock;
  let inbox: InboxService;
  let worker: InboxWorker;
  let db: DataSource;
  const stripe = new ScriptedHandler('stripe');
  const apple = new ScriptedHandler('apple');

  const row = async (id: string): Promise<Row> => {
    const rows: Row[] = await db.query('SELECT * FROM inbox_events WHERE id = $1', [id]);
    expect(rows).toHaveLength(1);
    return rows[0];
  };

  beforeAll(async () => {
    isolated = await createIsolatedDatabase();
    clock = new ManualClock(START);
    t = await createTestApp({
      clock,
      env: {
        ...(isolated ? { DATABASE_URL: isolated.url } : {}),
        INBOX_MAX_ATTEMPTS: '3',
        INBOX_BACKOFF_BASE_MS: '1000',
        INBOX_BACKOFF_MAX_MS: '60000',
        // Only a receive (or drain) wakes the worker: nothing here waits on a poll.
        INBOX_POLL_INTERVAL_MS: '60000',
        // Also the handler time limit: short, so the hung-handler case stays quick.
        INBOX_LEASE_MS: '1000',
      },
    });
    useHandlers(t, { stripe, apple });
    inbox = t.app.get(InboxService);
    worker = t.app.get(InboxWorker);
    db = t.app.get(DataSource);
  });

  afterAll(async () => {
    await t.close();
    await isolated?.drop();
  });

  beforeEach(() => {
    stripe.calls.length = 0;
    apple.calls.length = 0;
    stripe.behaviour = () => Promise.resolve({ kind: 'processed' });
  });

  it('stores an event once per (store, store event id) and keeps the payload', async () => {
    const first = await inbox.receive(
      event('evt_dedupe', { payload: { a: 'x\u0000y', b: 'the text \\u0000, not a NUL' } }),
    );
    const again = await inbox.receive(event('evt_dedupe', { eventType: 'other' }));
    const otherStore = await inbox.receive(event('evt_dedupe', { store: 'apple' }));
    expect(first.duplicate).toBe(false);
    expect(again).toEqual({ id: first.id, duplicate: true });
    expect(otherStore.duplicate).toBe(false);
    expect(otherStore.id).not.toBe(first.id);
    const stored = await row(first.id);
    expect(stored.payload).toEqual({ a: 'x\uFFFDy', b: 'the text \\u0000, not a NUL' });
    await worker.drain();
    expect(stripe.calls.filter((c) => c.storeEventId === 'evt_dedupe')).toHaveLength(1);
    expect(
      await t.app.get(MetricsService).value('inbox_events_received_total', { duplicate: 'true' }),
    ).toBe(1);
  });

  it('wakes the worker on receive: processed without a poll or a drain', async () => {
    const { id } = await inbox.receive(event('evt_wake'));
    const done = await eventually(async () => {
      const r = await row(id);
      return r.status === 'processed' ? r : undefined;
    }, 'the woken worker');
    expect(done.attempts).toBe(1);
    expect(new Date(done.processed_at!).toISOString()).toBe(START.toISOString());
  });

  it('hands the handler the stored event and records an ignored outcome with its note', async () => {
    stripe.behaviour = () => Promise.resolve({ kind: 'ignored', note: 'test notification' });
    const { id } = await inbox.receive(event('evt_ignored'));
    await worker.drain();
    const call = stripe.calls.find((c) => c.id === id);
    expect(call).toMatchObject({
      id,
      store: 'stripe',
      storeEventId: 'evt_ignored',
      eventType: 'customer.subscription.updated',
      attempts: 1,
      payload: { id: 'evt_ignored', object: 'event', data: { object: { id: 'sub_1' } } },
    });
    expect(call?.occurredAt).toEqual(new Date('2026-02-01T09:59:00Z'));
    expect(call?.receivedAt).toEqual(clock.now());
    expect(await row(id)).toMatchObject({ status: 'ignored', outcome_note: 'test notification' });
  });

  it('retries a failing handler with exponential backoff and a visible last_error', async () => {
    let failures = 2;
    stripe.behaviour = () =>
      failures-- > 0
        ? Promise.reject(new Error('store API timeout'))
        : Promise.resolve({ kind: 'processed', note: 'applied' });
    const { id } = await inbox.receive(event('evt_retry'));
    await worker.drain();
    let r = await row(id);
    expect(r).toMatchObject({ status: 'pending', attempts: 1, last_error: 'store API timeout' });
    expect(new Date(r.next_attempt_at).getTime()).toBe(clock.now().getTime() + 1000);

    await worker.drain(); // not due yet
    expect((await row(id)).attempts).toBe(1);

    clock.advance(1000);
    await worker.drain();
    r = await row(id);
    expect(r).toMatchObject({ status: 'pending', attempts: 2, last_error: 'store API timeout' });
    expect(new Date(r.next_attempt_at).getTime()).toBe(clock.now().getTime() + 2000);

    clock.advance(2000);
    await worker.drain();
    expect(await row(id)).toMatchObject({
      status: 'processed',
      attempts: 3,
      last_error: null,
      outcome_note: 'applied',
    });
  });

  it('fails a poison event after the attempt bound, reports it, lists it, and retries it on request', async () => {
    const metrics = t.app.get(MetricsService);
    const failedBefore = await metrics.value('inbox_events_failed_total', { store: 'stripe' });
    stripe.behaviour = (e) =>
      e.storeEventId === 'evt_poison'
        ? Promise.reject(new Error('cannot parse'))
        : Promise.resolve({ kind: 'processed' });
    const { id } = await inbox.receive(event('evt_poison'));
    for (let i = 0; i < 3; i++) {
      await worker.drain();
      clock.advance(60_000);
    }
    expect(await row(id)).toMatchObject({
      status: 'failed',
      attempts: 3,
      last_error: 'cannot parse',
    });
    expect(stripe.calls.filter((c) => c.id === id)).toHaveLength(3);
    expect(await metrics.value('inbox_events_failed_total', { store: 'stripe' })).toBe(
      failedBefore + 1,
    );
    await worker.drain();
    expect(stripe.calls.filter((c) => c.id === id)).toHaveLength(3);

    const listed = await request(t.server)
      .get('/v1/admin/inbox?status=failed')
      .set('authorization', bearer('admin'))
      .expect(200);
    expect(listed.body.events).toContainEqual(
      expect.objectContaining({
        id,
        store: 'stripe',
        storeEventId: 'evt_poison',
        status: 'failed',
        attempts: 3,
        lastError: 'cannot parse',
      }),
    );
    expect(listed.body.events.every((e: { status: string }) => e.status === 'failed')).toBe(true);
    expect(JSON.stringify(listed.body)).not.toContain('sub_1'); // no raw payloads

    stripe.behaviour = () => Promise.resolve({ kind: 'processed', note: 'fixed' });
    const retried = await request(t.server)
      .post(`/v1/admin/inbox/${id}/retry`)
      .set('authorization', bearer('admin'))
      .expect(200);
    expect(retried.body).toMatchObject({ id, status: 'pending', attempts: 0 });
    await worker.drain();
    expect(await row(id)).toMatchObject({ status: 'processed', outcome_note: 'fixed' });

    await expectError(
      request(t.server).post(`/v1/admin/inbox/${id}/retry`).set('authorization', bearer('admin')),
      409,
      'inbox_event_already_processed',
    );
  });

  it('fails at once on a PermanentInboxError', async () => {
    stripe.behaviour = () =>
      Promise.reject(new PermanentInboxError('malformed_event', 'no subscription in the event'));
    const { id } = await inbox.receive(event('evt_permanent'));
    await worker.drain();
    expect(await row(id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_error: 'malformed_event: no subscription in the event',
    });
  });

  it('gives up on a handler that outlives its lease and retries the event later', async () => {
    stripe.behaviour = () => new Promise(() => undefined);
    const { id } = await inbox.receive(event('evt_hung'));
    await worker.drain();
    expect(await row(id)).toMatchObject({
      status: 'pending',
      attempts: 1,
      last_error: 'the handler took longer than 1000 ms',
    });
  });

  it('runs fewer events at once while receives are being stored, full batches otherwise', async () => {
    const receiving = t.app.get(InboxReceiveGauge);
    let running = 0;
    let most = 0;
    stripe.behaviour = async () => {
      running++;
      most = Math.max(most, running);
      await Promise.resolve(); // every event of a claimed batch has started by now
      running--;
      return { kind: 'processed' };
    };
    /** Eight events that become due only when the clock moves (no pass takes them before). */
    const dueEvents = async (prefix: string): Promise<string[]> => {
      await worker.drain();
      const ids = Array.from({ length: 8 }, () => randomUUID());
      const dueAt = new Date(clock.now().getTime() + 1000);
      for (const [i, id] of ids.entries()) {
        await db.query(
          `INSERT INTO inbox_events (id, store, store_event_id, event_type, payload, status,
                                     attempts, next_attempt_at, received_at, updated_at)
           VALUES ($1, 'stripe', $2, 'invoice.paid', '{}', 'pending', 0, $3, $3, $3)`,
          [id, `${prefix}_${i}`, dueAt],
        );
      }
      clock.advance(1000);
      return ids;
    };

    const busy = jest.spyOn(receiving, 'busy', 'get').mockReturnValue(true);
    try {
      const ids = await dueEvents('evt_yield');
      most = 0;
      await worker.drain();
      expect(most).toBe(3);
      for (const id of ids) expect((await row(id)).status).toBe('processed');
    } finally {
      busy.mockRestore();
    }

    const ids = await dueEvents('evt_full');
    most = 0;
    await worker.drain();
    expect(most).toBe(8);
    for (const id of ids) expect((await row(id)).status).toBe('processed');
  });

  it('keeps the events of a store without a handler pending, never dropped', async () => {
    const { id } = await inbox.receive(event('evt_nohandler', { store: 'google' }));
    await worker.drain();
    const r = await row(id);
    expect(r).toMatchObject({ status: 'pending', attempts: 0 });
    expect(r.last_error).toContain('no inbox handler');
    clock.advance(60_000);
    await worker.drain();
    expect(await row(id)).toMatchObject({ status: 'pending', attempts: 0 });
  });

  it("takes over a crashed instance's claim once its lease has run out", async () => {
    const { id } = await inbox.receive(event('evt_crashed', { store: 'apple' }));
    await worker.drain();
    // The same event as a crashed instance would leave it: claimed, lease running.
    await db.query(
      `UPDATE inbox_events SET status = 'processing', attempts = 1, locked_by = 'crashed-host',
              locked_until = $2, processed_at = NULL WHERE id = $1`,
      [id, new Date(clock.now().getTime() + 30_000)],
    );
    apple.calls.length = 0;
    await worker.drain();
    expect(apple.calls).toHaveLength(0);
    expect((await row(id)).status).toBe('processing');

    clock.advance(30_000);
    await worker.drain();
    expect(apple.calls.map((c) => c.id)).toEqual([id]);
    expect(await row(id)).toMatchObject({ status: 'processed', attempts: 2 });
  });

  it('pages the admin listing newest first with an opaque cursor', async () => {
    for (let i = 0; i < 3; i++) {
      clock.advance(1000);
      await inbox.receive(event(`evt_page_${i}`, { store: 'apple' }));
    }
    await worker.drain();
    const first = await request(t.server)
      .get('/v1/admin/inbox?store=apple&limit=2')
      .set('authorization', bearer('admin'))
      .expect(200);
    expect(first.body.events.map((e: { storeEventId: string }) => e.storeEventId)).toEqual([
      'evt_page_2',
      'evt_page_1',
    ]);
    expect(typeof first.body.nextBefore).toBe('string');
    const second = await request(t.server)
      .get(`/v1/admin/inbox?store=apple&limit=2&before=${first.body.nextBefore}`)
      .set('authorization', bearer('admin'))
      .expect(200);
    expect(second.body.events[0].storeEventId).toBe('evt_page_0');
    await expectError(
      request(t.server)
        .get('/v1/admin/inbox?before=not-a-cursor')
        .set('authorization', bearer('admin')),
      400,
      'invalid_cursor',
    );
  });
});
