/**
 * Three service processes (the real entry point) on one Postgres, with accounts seeded through the
 * service's own write path, under admission load spread over all three: every plan's concurrency
 * limit holds exactly (never one more, never one fewer when a slot is free), for image and video
 * at once, and a plan change made while the load runs reaches every instance.
 */
import { DataSource } from 'typeorm';
import type { SubscriptionSnapshot } from '../../src/entitlements/domain/subscription-snapshot';
import { EntitlementService } from '../../src/entitlements/entitlement.service';
import { freePort, ServiceProcess, startService } from '../support/service-process';
import { createIsolatedDatabase } from '../support/test-database';
import { createTestApp, TestApp } from '../support/test-app';
import { TEST_API_KEYS_ENV, TEST_KEYS } from '../support/test-keys';
import { waitFor } from '../support/wait';
import { snapshotsFor } from './support/account-mix';
import { SeededAccount, seedAccounts } from './support/seed';

const describeOnPostgres = process.env.TEST_DATABASE_SERVER_URL ? describe : describe.skip;

const IMAGE = 'sdxl-1024';
const VIDEO = 'ltx-2-3-22b-distilled';

interface Limits {
  image: number;
  video: number;
}

/** The plan in force for each situation of the account mix (SPEC §2, §4). */
function limitsOf(a: SeededAccount): Limits | null {
  switch (a.situation) {
    case 'active_unlimited':
      return { image: 4, video: 1 };
    case 'active_pro':
    case 'cancel_scheduled': // stays covered until the period end
    case 'downgrade_scheduled': // the downgrade never reduces limits before it applies
    case 'duplicate_billing': // the best plan among the live subscriptions
      return { image: 16, video: 4 };
    default:
      return null;
  }
}

interface Answer {
  status: number;
  body: { covered?: boolean; reason?: string; jobId?: string };
}

describeOnPostgres('three instances on one Postgres under admission load', () => {
  let isolated: NonNullable<Awaited<ReturnType<typeof createIsolatedDatabase>>>;
  const services: { svc: ServiceProcess; base: string }[] = [];
  let seeder: TestApp;
  let accounts: SeededAccount[];
  let n = 0;

  beforeAll(async () => {
    isolated = (await createIsolatedDatabase())!;
    // All three start together: they also race for the migrations.
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const svc = startService({
        PORT: String(port),
        DATABASE_URL: isolated.url,
        DATABASE_POOL_SIZE: '10',
        API_KEYS: TEST_API_KEYS_ENV,
        LOG_LEVEL: 'error',
      });
      services.push({ svc, base: `http://127.0.0.1:${port}` });
    }
    for (const { svc, base } of services) {
      await waitFor(
        async () => {
          if (svc.child.exitCode !== null) throw new Error(`instance exited:\n${svc.output()}`);
          return (await fetch(`${base}/health/ready`).catch(() => null))?.status === 200;
        },
        { what: 'an instance to be ready', timeoutMs: 90_000, intervalMs: 200 },
      );
    }
    seeder = await createTestApp({ env: { DATABASE_URL: isolated.url } });
    accounts = await seedAccounts(seeder.app, 'mi-', 60);
  }, 180_000);

  afterAll(async () => {
    await seeder?.close();
    for (const { svc } of services) svc.child.kill('SIGTERM');
    await Promise.all(services.map(({ svc }) => svc.exited));
    await isolated?.drop();
  });

  const post = async (path: string, body: unknown, via = n++): Promise<Answer> => {
    const res = await fetch(`${services[via % services.length].base}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_KEYS.gateway}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Answer['body'] };
  };
  const admit = (accountId: string, modelId: string, jobId: string, via?: number) =>
    post('/v1/jobs', { accountId, modelId, jobId }, via);
  const finish = async (jobId: string, via?: number) => {
    const res = await post(`/v1/jobs/${jobId}/finish`, { outcome: 'canceled' }, via);
    expect({ jobId, status: res.status }).toEqual({ jobId, status: 200 });
  };

  const running = async (): Promise<Map<string, number>> => {
    const rows = (await seeder.app.get(DataSource).query(
      `SELECT account_id, job_class, count(*)::int AS n FROM job_leases
       WHERE status = 'running' AND covered GROUP BY account_id, job_class`,
    )) as { account_id: string; job_class: string; n: number }[];
    return new Map(rows.map((r) => [`${r.account_id}/${r.job_class}`, r.n]));
  };

  it('a burst over every account, image and video at once, admits exactly each limit', async () => {
    const chosen = accounts.filter((a) => a.index < 60);
    const requests: Promise<{ a: SeededAccount; cls: keyof Limits; answer: Answer }>[] = [];
    for (const a of chosen) {
      const limits = limitsOf(a);
      for (const [cls, model, extra] of [
        ['image', IMAGE, 6],
        ['video', VIDEO, 3],
      ] as const) {
        const count = (limits?.[cls] ?? 2) + extra;
        for (let k = 0; k < count; k++) {
          const jobId = `${a.accountId}_burst_${cls}_${k}`;
          requests.push(admit(a.accountId, model, jobId).then((answer) => ({ a, cls, answer })));
        }
      }
    }
    const results = await Promise.all(requests);

    const tally = new Map<string, Record<number, number>>();
    for (const { a, cls, answer } of results) {
      const key = `${a.accountId}/${cls}`;
      const t = tally.get(key) ?? {};
      t[answer.status] = (t[answer.status] ?? 0) + 1;
      tally.set(key, t);
    }
    for (const a of chosen) {
      const limits = limitsOf(a);
      for (const cls of ['image', 'video'] as const) {
        const t = tally.get(`${a.accountId}/${cls}`) ?? {};
        if (limits) {
          expect({
            account: a.accountId,
            situation: a.situation,
            cls,
            admitted: t[201] ?? 0,
          }).toEqual({ account: a.accountId, situation: a.situation, cls, admitted: limits[cls] });
          expect(Object.keys(t).sort()).toEqual(['201', '429']);
        } else if (a.situation !== 'trial') {
          expect({
            account: a.accountId,
            situation: a.situation,
            statuses: Object.keys(t),
          }).toEqual({ account: a.accountId, situation: a.situation, statuses: ['200'] });
        }
      }
    }
    const inDb = await running();
    for (const a of chosen.filter((x) => limitsOf(x))) {
      expect(inDb.get(`${a.accountId}/image`)).toBe(limitsOf(a)!.image);
      expect(inDb.get(`${a.accountId}/video`)).toBe(limitsOf(a)!.video);
    }

    const admitted = results.filter((r) => r.answer.status === 201);
    await Promise.all(admitted.map((r, i) => finish(r.answer.body.jobId!, i)));
    expect((await running()).size).toBe(0);
  });

  it('under churn across the instances, no account ever holds more than its limit', async () => {
    const covered = accounts.filter((a) => limitsOf(a)).slice(0, 12);
    const held = new Map<string, number>();
    const violations: string[] = [];
    let admittedCount = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        for (const [key, count] of await running()) {
          const [accountId, cls] = key.split('/');
          const a = covered.find((x) => x.accountId === accountId);
          const limit = a ? limitsOf(a)![cls as keyof Limits] : 0;
          if (count > limit) violations.push(`${key}: ${count} running in the database`);
        }
      }
    })();
    const worker = async (w: number) => {
      for (let k = 0; k < 30; k++) {
        const a = covered[(w * 5 + k) % covered.length];
        const cls = k % 3 === 0 ? 'video' : 'image';
        const jobId = `${a.accountId}_churn_${w}_${k}`;
        const res = await admit(a.accountId, cls === 'video' ? VIDEO : IMAGE, jobId, w + k);
        const key = `${a.accountId}/${cls}`;
        if (res.status === 201) {
          admittedCount++;
          // Jobs admitted and not yet asked to finish certainly hold their slot.
          const now = (held.get(key) ?? 0) + 1;
          held.set(key, now);
          if (now > limitsOf(a)![cls]) violations.push(`${key}: ${now} held by the client`);
          await new Promise((r) => setImmediate(r));
          held.set(key, held.get(key)! - 1);
          await finish(jobId, w + k + 1);
        } else {
          expect({ jobId, status: res.status }).toEqual({ jobId, status: 429 });
        }
      }
    };
    await Promise.all(Array.from({ length: 12 }, (_, w) => worker(w)));
    sampling = false;
    await sampler;
    expect(violations).toEqual([]);
    expect(admittedCount).toBeGreaterThan(50);
    expect((await running()).size).toBe(0);
  });

  it('an upgrade, then an expiry, made while admitting, reach every instance', async () => {
    const a = accounts.find((x) => x.situation === 'active_unlimited')!;
    const entitlements = seeder.app.get(EntitlementService);
    const [current] = snapshotsFor(a.accountId, a.index, new Date());
    const admitted: string[] = [];
    let k = 0;
    const fill = async () => {
      // Asks every instance in turn until one answer says the plan's slots are all taken.
      for (;;) {
        const jobId = `${a.accountId}_change_${k++}`;
        const res = await admit(a.accountId, IMAGE, jobId, k);
        if (res.status === 201) admitted.push(jobId);
        else return res;
      }
    };
    expect((await fill()).status).toBe(429);
    expect(admitted).toHaveLength(4);

    const later = (s: SubscriptionSnapshot, ms: number, change: Partial<SubscriptionSnapshot>) => ({
      ...s,
      observedAt: new Date(Date.now() + ms),
      sourceEvent: 'proof',
      ...change,
    });
    await entitlements.apply(
      later(current, 1_000, { plan: 'unlimited_pro', productId: 'unlimited_pro_monthly' }),
    );
    // Each instance learns of the change (its cache is invalidated by the change notification).
    await waitFor(
      async () => {
        const res = await fill();
        return res.status === 429 && admitted.length === 16;
      },
      { what: 'the upgrade to reach every instance', timeoutMs: 30_000 },
    );
    expect(admitted).toHaveLength(16);
    expect((await running()).get(`${a.accountId}/image`)).toBe(16);

    await entitlements.apply(
      later(current, 2_000, {
        plan: 'unlimited_pro',
        productId: 'unlimited_pro_monthly',
        status: 'expired',
        currentPeriodEnd: new Date(Date.now() - 86_400_000),
      }),
    );
    await Promise.all(admitted.map((jobId, i) => finish(jobId, i)));
    for (let via = 0; via < services.length; via++) {
      await waitFor(
        async () => {
          const res = await admit(a.accountId, IMAGE, `${a.accountId}_after_${via}_${k++}`, via);
          return res.status === 200 && res.body.covered === false;
        },
        { what: `instance ${via} to see the expiry`, timeoutMs: 30_000 },
      );
    }
    expect((await running()).get(`${a.accountId}/image`)).toBeUndefined();
  });
});
