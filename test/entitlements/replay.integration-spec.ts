import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { DataSource } from 'typeorm';
import { ManualClock } from '../../src/common/clock';
import { snapshotFromJson, snapshotToJson } from '../../src/entitlements/domain';
import {
  aSnapshot,
  aTrialSnapshot,
  day,
} from '../../src/entitlements/domain/testing/snapshot.builder';
import { EntitlementService } from '../../src/entitlements/entitlement.service';
import { ReplayService } from '../../src/entitlements/replay.service';
import { InboxService } from '../../src/inbox/inbox.service';
import { InboxWorker } from '../../src/inbox/inbox.worker';
import { createTestApp, TestApp } from '../support/test-app';
import { createIsolatedDatabase } from '../support/test-database';
import { ScriptedHandler, useHandlers } from '../inbox/inbox-test-kit';

const run = promisify(execFile);
const sharedDatabase = process.env.DATABASE_URL !== undefined;
const itShared = sharedDatabase ? it : it.skip;
if (!sharedDatabase) {
  console.warn('replay: the `npm run replay` process test is skipped (needs DATABASE_URL)');
}

describe('replay: rebuild every subscription from its applied snapshots', () => {
  let isolated: Awaited<ReturnType<typeof createIsolatedDatabase>>;
  let t: TestApp;
  let replay: ReplayService;
  let db: DataSource;

  beforeAll(async () => {
    isolated = await createIsolatedDatabase();
    t = await createTestApp({
      clock: new ManualClock(day(40)),
      env: isolated ? { DATABASE_URL: isolated.url } : {},
    });
    replay = t.app.get(ReplayService);
    db = t.app.get(DataSource);

    // A normal run: store events through the inbox, a handler turning each into a snapshot.
    const entitlements = t.app.get(EntitlementService);
    const handler = new ScriptedHandler('stripe');
    handler.behaviour = async (event) => {
      const payload = event.payload as { snapshot: unknown };
      await entitlements.apply(snapshotFromJson(payload.snapshot), { inboxEventId: event.id });
      return { kind: 'processed' };
    };
    useHandlers(t, { stripe: handler });
    const lifecycle = [
      aTrialSnapshot({ storeSubscriptionId: 'sub_r1', accountId: null }),
      aSnapshot({
        storeSubscriptionId: 'sub_r1',
        accountId: 'acc_r1',
        observedAt: day(3),
        currentPeriodStart: day(3),
        currentPeriodEnd: day(33),
        trialEnd: day(3),
      }),
      aSnapshot({
        storeSubscriptionId: 'sub_r1',
        accountId: 'acc_r1',
        observedAt: day(10),
        currentPeriodStart: day(3),
        currentPeriodEnd: day(33),
        cancelAtPeriodEnd: true,
      }),
      aSnapshot({ storeSubscriptionId: 'sub_r2', accountId: 'acc_r2', observedAt: day(2) }),
      aSnapshot({ storeSubscriptionId: 'sub_r2', accountId: 'acc_r3', observedAt: day(4) }),
    ];
    // Delivered out of order: the stored states still equal the time-ordered replay.
    const delivery = [lifecycle[2], lifecycle[0], lifecycle[4], lifecycle[1], lifecycle[3]];
    const inbox = t.app.get(InboxService);
    for (const [i, snapshot] of delivery.entries()) {
      await inbox.receive({
        store: 'stripe',
        storeEventId: `evt_replay_${i}`,
        eventType: 'customer.subscription.updated',
        occurredAt: snapshot.observedAt,
        payload: { snapshot: snapshotToJson(snapshot) },
      });
    }
    await t.app.get(InboxWorker).drain();
    const [{ n }] = await db.query(
      `SELECT count(*)::int AS n FROM inbox_events WHERE status = 'processed'`,
    );
    if (n !== delivery.length) throw new Error(`only ${n} events processed`);
  });

  afterAll(async () => {
    await t.close();
    await isolated?.drop();
  });

  it('finds no difference after a normal run', async () => {
    const report = await replay.run();
    expect(report).toEqual({ subscriptions: 2, snapshots: 5, differences: [], fixed: 0 });
    const rebuilt = await replay.rebuild('stripe', 'sub_r1');
    expect(rebuilt.state).toMatchObject({ accountId: 'acc_r1', hadTrial: true });
    expect(rebuilt.state?.latest.cancelAtPeriodEnd).toBe(true);
  });

  it('reports a tampered state and a tampered column, fixes them, then finds nothing', async () => {
    await db.query(
      `UPDATE store_subscriptions
          SET state = jsonb_set(state, '{latest,status}', '"revoked"')
        WHERE store_subscription_id = 'sub_r1'`,
    );
    await db.query(
      `UPDATE store_subscriptions SET plan = 'unlimited_pro' WHERE store_subscription_id = 'sub_r2'`,
    );
    const report = await replay.run();
    expect(report.differences).toEqual([
      {
        store: 'stripe',
        storeSubscriptionId: 'sub_r1',
        storedAccountKey: 'acc_r1',
        problem: 'state_differs',
        fields: ['latest.status'],
        fixed: false,
      },
      {
        store: 'stripe',
        storeSubscriptionId: 'sub_r2',
        storedAccountKey: 'acc_r3',
        problem: 'columns_differ',
        fields: ['column:plan'],
        fixed: false,
      },
    ]);
    // Reporting changes nothing.
    expect((await replay.run()).differences).toHaveLength(2);

    const fixed = await replay.run({ fix: true });
    expect(fixed.fixed).toBe(2);
    expect((await replay.run()).differences).toEqual([]);
    const [{ version }] = await db.query(
      `SELECT version FROM store_subscriptions WHERE store_subscription_id = 'sub_r1'`,
    );
    expect(version).toBeGreaterThan(1);
  });

  it('reports a subscription whose stored state has gone, and one whose snapshots have', async () => {
    await db.query(
      `CREATE TABLE kept_snapshots AS
         SELECT * FROM applied_snapshots WHERE store_subscription_id = 'sub_r2'`,
    );
    await db.query(`DELETE FROM applied_snapshots WHERE store_subscription_id = 'sub_r2'`);
    const saved = await db.query(
      `SELECT * FROM store_subscriptions WHERE store_subscription_id = 'sub_r1'`,
    );
    await db.query(`DELETE FROM store_subscriptions WHERE store_subscription_id = 'sub_r1'`);
    const report = await replay.run();
    expect(report.differences.map((d) => [d.storeSubscriptionId, d.problem])).toEqual([
      ['sub_r1', 'missing_state'],
      ['sub_r2', 'no_snapshots'],
    ]);
    const fixed = await replay.run({ fix: true });
    expect(fixed.differences.map((d) => [d.storeSubscriptionId, d.fixed])).toEqual([
      ['sub_r1', true],
      ['sub_r2', false],
    ]);
    expect(saved).toHaveLength(1);

    await db.query('INSERT INTO applied_snapshots SELECT * FROM kept_snapshots');
    await db.query('DROP TABLE kept_snapshots');
    expect((await replay.run()).differences).toEqual([]);
  });

  itShared(
    '`npm run replay` exits 1 with a readable report when something differs',
    async () => {
      await db.query(
        `UPDATE store_subscriptions
          SET state = jsonb_set(state, '{hadTrial}', 'false')
        WHERE store_subscription_id = 'sub_r1'`,
      );
      const env = { ...process.env, DATABASE_URL: isolated!.url, LOG_LEVEL: 'silent' };
      const failed = await run('npm', ['run', '--silent', 'replay'], {
        env,
        cwd: process.cwd(),
      }).then(
        () => null,
        (error: { code: number; stdout: string }) => error,
      );
      expect(failed?.code).toBe(1);
      expect(failed?.stdout).toContain('stripe:sub_r1 (account acc_r1): stored state differs');
      expect(failed?.stdout).toContain('[hadTrial]');

      const fixed = await run('npm', ['run', '--silent', 'replay', '--', '--fix'], {
        env,
        cwd: process.cwd(),
      });
      expect(fixed.stdout).toContain('-> fixed');
      const clean = await run('npm', ['run', '--silent', 'replay'], { env, cwd: process.cwd() });
      expect(clean.stdout).toContain('no differences');
    },
    120_000,
  );
});
