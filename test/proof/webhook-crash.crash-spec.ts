/**
 * Durability (SPEC §10): a stream of signed webhooks from all three stores while the service is
 * killed with SIGKILL at random moments and started again; the stores resend whatever got no 2xx.
 * Afterwards every event that got a 2xx is in the inbox and processed, the stored state equals a
 * replay of the applied snapshots, and it equals what a service that never crashed makes of the
 * same events (delivered once each, in another order).
 *
 * Run by `npm run test:crash` (and CI), not by `npm test`: it takes a couple of minutes.
 * CRASH_SEED=<n> repeats a run's kill schedule and delivery order.
 */
import { Client } from 'pg';
import { DataSource } from 'typeorm';
import { SystemClock } from '../../src/common/clock';
import { loadConfig } from '../../src/config/app-config';
import { buildDataSourceOptions } from '../../src/database/database-options';
import { ReplayService } from '../../src/entitlements/replay.service';
import { PrivatePostgres } from '../support/private-postgres';
import { freePort, ServiceProcess, startService } from '../support/service-process';
import { createTestDatabase, dropTestDatabase } from '../support/test-database';
import { TEST_API_KEYS_ENV, TEST_KEYS } from '../support/test-keys';
import { waitFor } from '../support/wait';
import { startStoreRig, StoreRig } from './support/store-rig';
import {
  appleLifecycle,
  Delivery,
  googleLifecycle,
  IssuedIds,
  prng,
  stripeLifecycle,
} from './support/webhook-stream';

const SEED = Number(process.env.CRASH_SEED ?? Date.now() % 1_000_000);
const ACCOUNTS = { stripe: 36, apple: 24, google: 24 };

interface Instance {
  svc: ServiceProcess;
  base: string;
}

describe('webhooks survive SIGKILL at any moment', () => {
  let rig: StoreRig;
  let privatePg: PrivatePostgres | null = null;
  let serverUrl: string;
  let crashedDb: string;
  let cleanDb: string;
  const running: ServiceProcess[] = [];
  const random = prng(SEED);

  beforeAll(async () => {
    console.log(`crash test seed: ${SEED} (CRASH_SEED=${SEED} repeats it)`);
    rig = await startStoreRig();
    if (process.env.TEST_DATABASE_SERVER_URL) {
      serverUrl = process.env.TEST_DATABASE_SERVER_URL;
    } else {
      privatePg = await PrivatePostgres.create();
      serverUrl = privatePg.url;
    }
    crashedDb = await createTestDatabase(serverUrl, process.env.TEST_RUN_ID);
  });

  afterAll(async () => {
    for (const svc of running) if (svc.child.exitCode === null) svc.child.kill('SIGKILL');
    await Promise.all(running.map((s) => s.exited));
    await rig?.stop();
    for (const db of [crashedDb, cleanDb]) if (db) await dropTestDatabase(serverUrl, db);
    await privatePg?.destroy();
  });

  const serviceEnv = (databaseUrl: string, port: number) => ({
    ...rig.env,
    PORT: String(port),
    DATABASE_URL: databaseUrl,
    API_KEYS: TEST_API_KEYS_ENV,
    LOG_LEVEL: 'warn',
    // Stripe's fake runs in test mode; its purchases must grant entitlement here.
    ACCEPT_SANDBOX: 'true',
    // Stripe snapshots from the events themselves (no re-fetch), so both runs see the same.
    STRIPE_SECRET_KEY: undefined,
    STRIPE_API_URL: undefined,
    // A kill charges an attempt to every event of the batch the worker had claimed (begun or
    // not); with dozens of kills in two minutes the default of 12 would give up on events that
    // never failed. This run is about losing nothing, not about the give-up policy.
    INBOX_MAX_ATTEMPTS: '100',
    INBOX_POLL_INTERVAL_MS: '50',
    // A killed worker's claim lapses soon, so another start takes the event over quickly.
    INBOX_LEASE_MS: '2000',
    INBOX_BACKOFF_BASE_MS: '100',
    INBOX_BACKOFF_MAX_MS: '2000',
  });

  async function start(databaseUrl: string, port: number): Promise<Instance> {
    const svc = startService(serviceEnv(databaseUrl, port));
    running.push(svc);
    const base = `http://127.0.0.1:${port}`;
    await waitFor(
      async () => {
        if (svc.child.exitCode !== null) throw new Error(`service exited:\n${svc.output()}`);
        return (await fetch(`${base}/health/ready`).catch(() => null))?.status === 200;
      },
      { what: 'the service to be ready', timeoutMs: 90_000, intervalMs: 100 },
    );
    return { svc, base };
  }

  async function kill(instance: Instance): Promise<void> {
    instance.svc.child.kill('SIGKILL');
    await instance.svc.exited;
  }

  async function deliver(base: string, d: Delivery): Promise<number> {
    try {
      const res = await fetch(`${base}${d.path}`, {
        method: 'POST',
        headers: d.headers(),
        body: d.body,
        signal: AbortSignal.timeout(10_000),
      });
      await res.arrayBuffer();
      return res.status;
    } catch {
      return 0; // connection refused or reset: the store will try again
    }
  }

  async function inbox(databaseUrl: string) {
    const c = new Client({ connectionString: databaseUrl });
    await c.connect();
    try {
      const { rows } = await c.query<{
        store: string;
        store_event_id: string;
        event_type: string;
        status: string;
        attempts: number;
        last_error: string | null;
      }>(
        'SELECT store, store_event_id, event_type, status, attempts, last_error FROM inbox_events',
      );
      return rows;
    } finally {
      await c.end();
    }
  }

  async function settled(databaseUrl: string): Promise<void> {
    await waitFor(
      async () =>
        (await inbox(databaseUrl)).every((r) => !['pending', 'processing'].includes(r.status)),
      { what: 'every inbox event to be processed', timeoutMs: 120_000, intervalMs: 250 },
    );
  }

  async function states(databaseUrl: string) {
    const c = new Client({ connectionString: databaseUrl });
    await c.connect();
    try {
      const { rows } = await c.query(
        `SELECT store, store_subscription_id, account_id, status, plan, state
         FROM store_subscriptions ORDER BY store, store_subscription_id`,
      );
      return rows as Record<string, unknown>[];
    } finally {
      await c.end();
    }
  }

  async function entitlement(base: string, accountId: string): Promise<unknown> {
    const res = await fetch(`${base}/v1/accounts/${accountId}/entitlement`, {
      headers: { authorization: `Bearer ${TEST_KEYS.dashboard}` },
    });
    const body = (await res.json()) as Record<string, unknown>;
    // The usage window is "today" for whichever instant each service answered at.
    delete body.usageToday;
    return { status: res.status, body };
  }

  it('loses nothing acknowledged and ends where a run without crashes ends', async () => {
    const port = await freePort();

    // The accounts and the store ids the service issues them (tokens the stores echo back).
    let instance = await start(crashedDb, port);
    const accountIds: string[] = [];
    const ids = new Map<string, IssuedIds>();
    const total = ACCOUNTS.stripe + ACCOUNTS.apple + ACCOUNTS.google;
    for (let i = 0; i < total; i++) {
      const accountId = `crash-${SEED}-${i}`;
      accountIds.push(accountId);
      const res = await fetch(`${instance.base}/v1/accounts/${accountId}/store-ids`, {
        headers: { authorization: `Bearer ${TEST_KEYS.dashboard}` },
      });
      expect(res.status).toBe(200);
      ids.set(accountId, (await res.json()) as IssuedIds);
    }
    instance.svc.child.kill('SIGTERM');
    await instance.svc.exited;
    // The run without crashes starts from the very same accounts and ids.
    cleanDb = await createTestDatabase(serverUrl, process.env.TEST_RUN_ID);
    await cloneInto(serverUrl, crashedDb, cleanDb);

    const now = Date.now();
    const deliveries: Delivery[] = [];
    accountIds.forEach((accountId, i) => {
      if (i < ACCOUNTS.stripe) {
        deliveries.push(...stripeLifecycle(rig, rig.stripeApi, accountId, i));
      } else if (i < ACCOUNTS.stripe + ACCOUNTS.apple) {
        deliveries.push(
          ...appleLifecycle(rig, accountId, ids.get(accountId)!, i, now - 40 * 86_400_000),
        );
      } else {
        deliveries.push(...googleLifecycle(rig, accountId, ids.get(accountId)!, i, now));
      }
    });
    // Stores deliver out of order and sometimes twice.
    const stream = shuffle([...deliveries, ...deliveries.filter(() => random() < 0.1)], random);
    expect(new Set(deliveries.map((d) => d.store))).toEqual(new Set(['stripe', 'apple', 'google']));

    // The crash run: senders resend until a 2xx; a killer SIGKILLs the service after a random
    // number of acknowledgements (sometimes right after it started) and starts it again.
    let ready: Promise<Instance> = start(crashedDb, port);
    instance = await ready;
    const acked = new Set<string>();
    const queue = [...stream];
    let inFlight = 0;
    let kills = 0;
    let refusedOrCut = 0;
    const sender = async () => {
      while (queue.length > 0 || inFlight > 0) {
        const d = queue.shift();
        if (!d) {
          await new Promise((r) => setImmediate(r));
          continue;
        }
        inFlight++;
        const status = await deliver((await ready).base, d);
        inFlight--;
        if (status >= 200 && status < 300) {
          acked.add(`${d.store}:${d.storeEventId}`);
        } else if (status === 0 || status >= 500) {
          // Refused or cut: the store sends it again later (once the service is back).
          refusedOrCut++;
          queue.push(d);
          await ready;
        } else {
          throw new Error(`${d.store} ${d.storeEventId} refused with ${status}`);
        }
      }
    };
    const killer = async () => {
      while (queue.length > 0) {
        const after = acked.size + Math.floor(random() * 40);
        await waitFor(() => acked.size >= after || queue.length === 0, {
          what: 'acknowledgements before the next kill',
          timeoutMs: 120_000,
          intervalMs: 5 + Math.floor(random() * 40),
        });
        if (queue.length === 0) break;
        const victim = instance;
        ready = kill(victim).then(() => start(crashedDb, port));
        kills++;
        instance = await ready;
      }
    };
    await Promise.all([killer(), ...Array.from({ length: 6 }, sender)]);
    // One more kill while the inbox is still working through what it stored.
    await kill(instance);
    kills++;
    instance = await start(crashedDb, port);

    console.log(
      `crash run: ${stream.length} deliveries (${deliveries.length} distinct), ${kills} kills, ` +
        `${refusedOrCut} sends refused or cut and resent`,
    );
    expect(kills).toBeGreaterThanOrEqual(3);
    expect(acked.size).toBe(new Set(deliveries.map((d) => `${d.store}:${d.storeEventId}`)).size);

    // Everything acknowledged is stored and processed.
    await settled(crashedDb);
    const stored = await inbox(crashedDb);
    const byKey = new Map(stored.map((r) => [`${r.store}:${r.store_event_id}`, r.status]));
    const missing = [...acked].filter((k) => !byKey.has(k));
    expect(missing).toEqual([]);
    const unprocessed = stored.filter((r) => !['processed', 'ignored'].includes(r.status));
    expect(unprocessed).toEqual([]);
    console.log(
      `inbox: ${stored.length} events; attempts: ${JSON.stringify(countBy(stored.map((r) => r.attempts)))}`,
    );

    // The stored state is what replaying the applied snapshots gives.
    const config = loadConfig({ ...process.env, DATABASE_URL: crashedDb, LOG_LEVEL: 'silent' });
    const dataSource = new DataSource(buildDataSourceOptions(config));
    await dataSource.initialize();
    try {
      const report = await new ReplayService(dataSource, new SystemClock(), config).run();
      expect(report.subscriptions).toBeGreaterThan(total * 0.9);
      expect(report.differences).toEqual([]);
    } finally {
      await dataSource.destroy();
    }

    // A service that never crashed, given each event once, in another order, ends the same.
    const cleanPort = await freePort();
    const clean = await start(cleanDb, cleanPort);
    const once = shuffle([...deliveries], random);
    const cleanQueue = [...once];
    await Promise.all(
      Array.from({ length: 6 }, async () => {
        for (let d = cleanQueue.shift(); d; d = cleanQueue.shift()) {
          expect({ event: d.storeEventId, status: await deliver(clean.base, d) }).toEqual({
            event: d.storeEventId,
            status: 200,
          });
        }
      }),
    );
    await settled(cleanDb);
    expect(differences(await states(crashedDb), await states(cleanDb))).toEqual([]);
    for (const accountId of accountIds) {
      expect({ accountId, answer: await entitlement(instance.base, accountId) }).toEqual({
        accountId,
        answer: await entitlement(clean.base, accountId),
      });
    }
  });
});

/**
 * When the service reads a store's current picture (Google: always), the snapshot is dated by
 * the read and names the notification that prompted it, so which read came last differs between
 * two runs; what the store said does not.
 */
const OBSERVATION_TIME = /\.(observedAt|firstObservedAt|accountObservedAt|sourceEvent)$/;

/** Where two lists of stored subscriptions differ, as `subscription: path` lines. */
function differences(a: Record<string, unknown>[], b: Record<string, unknown>[]): string[] {
  const key = (r: Record<string, unknown>) =>
    `${String(r.store)}:${String(r.store_subscription_id)}`;
  const right = new Map(b.map((r) => [key(r), r]));
  const out: string[] = [];
  const walk = (id: string, path: string, x: unknown, y: unknown) => {
    if (OBSERVATION_TIME.test(path)) return;
    if (x !== null && y !== null && typeof x === 'object' && typeof y === 'object') {
      for (const k of new Set([...Object.keys(x), ...Object.keys(y)])) {
        walk(
          id,
          `${path}.${k}`,
          (x as Record<string, unknown>)[k],
          (y as Record<string, unknown>)[k],
        );
      }
    } else if (JSON.stringify(x) !== JSON.stringify(y)) {
      out.push(`${id}${path}: ${JSON.stringify(x)} vs ${JSON.stringify(y)}`);
    }
  };
  for (const r of a) walk(key(r), '', r, right.get(key(r)) ?? null);
  for (const r of b)
    if (!a.some((x) => key(x) === key(r))) out.push(`${key(r)}: only without crashes`);
  return out;
}

function countBy(values: unknown[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[String(v)] = (out[String(v)] ?? 0) + 1;
  return out;
}

function shuffle<T>(list: T[], random: () => number): T[] {
  for (let i = list.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [list[i], list[j]] = [list[j], list[i]];
  }
  return list;
}

/** Copies a database (schema, accounts and their store ids) into a new empty one. */
async function cloneInto(serverUrl: string, source: string, target: string): Promise<void> {
  const c = new Client({ connectionString: serverUrl });
  await c.connect();
  try {
    const name = (url: string) => new URL(url).pathname.slice(1);
    await c.query(`DROP DATABASE "${name(target)}"`);
    await c.query(`CREATE DATABASE "${name(target)}" TEMPLATE "${name(source)}"`);
  } finally {
    await c.end();
  }
}
