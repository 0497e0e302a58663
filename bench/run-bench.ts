/**
 * `npm run bench`: the service's throughput on this machine, as ratios to a bare Fastify handler
 * measured in the same run. Not a test: it prints and writes a table (bench/results.md, .json)
 * and checks the targets, exiting 0 either way unless it could not run.
 *
 * One run: a fresh database on the local Postgres (DATABASE_URL's server when set), dropped at the
 * end; the bare handler, the hand-written admission baseline and the built service
 * (`node dist/src/main.js`) each in a process of their own; accounts seeded through the service's
 * own code; autocannon in this process (the load generator) on loopback.
 *
 * The machine is shared and its speed drifts within a run, so each case's ratio is taken against
 * the mean of two bare-handler measurements, one just before the case and one just after it
 * (BENCH_PAIR seconds each after a 1 s warm-up; a webhook case, whose inbox backlog is still being
 * worked off after it, against the one before only), and the admission target likewise against the
 * hand-written transaction measured just before and just after the admission case: a ratio
 * compares measurements seconds apart, not minutes, and a drift during the case shows on both
 * sides of it.
 *
 * Environment: BENCH_DURATION (s, default 10), BENCH_WARMUP (s, 3), BENCH_PAIR (s, 5),
 * BENCH_CONNECTIONS (32),
 * BENCH_ACCOUNTS (10000), BENCH_CPU_PROF=1 (write a V8 CPU profile of the service per case to
 * bench/.tmp/prof), BENCH_CASES (comma-separated case ids to run; default all).
 */
import type autocannon from 'autocannon';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { benchServerUrl, createBenchDatabase, dropBenchDatabase } from './lib/database';
import { measure } from './lib/load';
import { machineInfo } from './lib/machine';
import {
  Child,
  freePort,
  ROOT,
  startChild,
  TMP,
  TS_NODE_ENV,
  tsNode,
  waitForHttp,
} from './lib/processes';
import {
  BenchReport,
  renderTable,
  renderTargets,
  Skipped,
  TargetCheck,
  writeResults,
} from './lib/results-writer';
import { BenchFixtures, prepareFixtures } from './fixtures/bench-fixtures';
import { serviceCases } from './cases/service-cases';

const DURATION = Number(process.env.BENCH_DURATION ?? 10);
const WARMUP = Number(process.env.BENCH_WARMUP ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const PAIR = Number(process.env.BENCH_PAIR ?? 5);
const ACCOUNTS = Number(process.env.BENCH_ACCOUNTS ?? 10_000);
const CPU_PROF = process.env.BENCH_CPU_PROF === '1';
const ONLY = process.env.BENCH_CASES?.split(',').map((s) => s.trim());

const wanted = (id: string) => !ONLY || ONLY.includes(id) || id === 'bare';

async function main(): Promise<void> {
  const startedAt = new Date().toISOString();
  const loadAtStart = loadavg()[0];
  const serverUrl = benchServerUrl();
  const db = await createBenchDatabase(serverUrl);
  const children: Child[] = [];
  let fixtures: BenchFixtures | undefined;
  const cases: BenchReport['cases'] = [];
  const skipped: Skipped[] = [];
  const notes: string[] = [];
  try {
    const barePort = await freePort();
    const bare = startChild('bare-handler', tsNode('bench/servers/bare-handler.server.ts'), {
      ...TS_NODE_ENV,
      PORT: String(barePort),
      NODE_ENV: 'production',
    });
    children.push(bare);
    const baselinePort = await freePort();
    const baseline = startChild(
      'baseline-transaction',
      tsNode('bench/servers/baseline-transaction.server.ts'),
      {
        ...TS_NODE_ENV,
        PORT: String(baselinePort),
        DATABASE_URL: db.url,
        BASELINE_ACCOUNTS: String(ACCOUNTS),
        NODE_ENV: 'production',
      },
    );
    children.push(baseline);
    await waitForHttp(bare, `http://127.0.0.1:${barePort}/bare`);
    await waitForHttp(baseline, `http://127.0.0.1:${baselinePort}/ready`);

    fixtures = await prepareFixtures({ databaseUrl: db.url, accounts: ACCOUNTS, log: progress });

    const servicePort = await freePort();
    const profDir = join(TMP, 'prof');
    const service = startChild(
      'service',
      [...(CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${profDir}`] : []), 'dist/src/main.js'],
      {
        ...fixtures.serviceEnv,
        NODE_ENV: 'production',
        PORT: String(servicePort),
        DATABASE_URL: db.url,
      },
    );
    children.push(service);
    const serviceUrl = `http://127.0.0.1:${servicePort}`;
    await waitForHttp(service, `${serviceUrl}/health/ready`, { timeoutMs: 120_000 });
    progress(`service ready on ${serviceUrl}`);
    await fixtures.seed(progress);

    const common = { connections: CONNECTIONS, durationSeconds: DURATION, warmupSeconds: WARMUP };
    /** A reference measured again just before (or after) a case: its requests/s. */
    const reference = async (
      opts: {
        name: string;
        url: string;
        pid: number;
        requests: autocannon.Request[];
      },
      when: 'before' | 'after' = 'before',
    ): Promise<number> => {
      const result = await measure({
        ...opts,
        connections: CONNECTIONS,
        durationSeconds: PAIR,
        warmupSeconds: 1,
        targetPids: [opts.pid],
      });
      progress(`  ${opts.name} just ${when}: ${result.requestsPerSecond} req/s`);
      return result.requestsPerSecond;
    };
    const run = async (
      id: string,
      opts: {
        name: string;
        unit?: string;
        url: string;
        pid: number;
        requests: autocannon.Request[];
        headers?: Record<string, string>;
        note?: string;
        /** Readies the service for the case, after the reference (nothing idles in between). */
        prepare?: () => Promise<void>;
        /**
         * The service still works after the load stops (a webhook case's inbox backlog): a
         * reference measured then would be slowed by it, so the ratio is against the one before.
         */
        leavesWork?: boolean;
      },
    ): Promise<MeasuredCase | undefined> => {
      if (!wanted(id)) return undefined;
      const bareBefore = id === 'bare' ? undefined : await reference(bareReference);
      await opts.prepare?.();
      progress(`measuring ${opts.name} (${DURATION} s, ${CONNECTIONS} connections)`);
      const result = await measure({ ...common, ...opts, targetPids: [opts.pid] });
      progress(
        `  ${result.requestsPerSecond} req/s, p50 ${result.p50Ms} ms, p99 ${result.p99Ms} ms, ${JSON.stringify(result.statuses)}`,
      );
      const bareAfter =
        bareBefore === undefined || opts.leavesWork
          ? undefined
          : await reference(bareReference, 'after');
      const ratioBase =
        bareBefore === undefined ? result.requestsPerSecond : around(bareBefore, bareAfter);
      const measured: MeasuredCase = {
        ...result,
        ratioToBare: result.requestsPerSecond / ratioBase,
        bareRequestsPerSecond: ratioBase,
        note: opts.note,
      };
      cases.push(measured);
      return measured;
    };

    const BARE = 'bare Fastify handler (POST, small JSON)';
    const bareReference = {
      name: BARE,
      url: `http://127.0.0.1:${barePort}`,
      pid: bare.pid,
      requests: [
        {
          method: 'POST' as const,
          path: '/bare',
          setupRequest: (req: autocannon.Request) => ({
            ...req,
            body: JSON.stringify(fixtures!.coverageBody()),
          }),
        },
      ],
    };
    const bareResult = await run('bare', {
      ...bareReference,
      note: 'parses the same JSON bodies as the coverage case and answers a small JSON: the ceiling of any Node endpoint here.',
    });

    const baselineReference = {
      name: 'hand-written admission transaction (admit + finish pairs)',
      url: `http://127.0.0.1:${baselinePort}`,
      pid: baseline.pid,
      requests: baselinePairRequests(ACCOUNTS),
    };
    const baselineResult = await run('baseline', {
      ...baselineReference,
      note: 'bare Fastify + pg pool (10): BEGIN; SELECT … FOR UPDATE on the account; count running leases; INSERT the lease; COMMIT; then an UPDATE to finish it. The admission target is measured against this.',
    });

    const serviceResults = new Map<string, MeasuredCase>();
    let baselineAlongside: number | undefined;
    const ctx = {
      serviceUrl,
      databaseUrl: db.url,
      log: progress,
      warmupSeconds: WARMUP,
      // Pools built ahead (Apple notifications, slow to sign) are sized for ~600 per second.
      expectedRequests: Number(process.env.BENCH_APPLE_POOL ?? 600 * (DURATION + WARMUP)),
    };
    for (const c of serviceCases(fixtures)) {
      if (!wanted(c.id)) continue;
      const reason = await c.unavailable(ctx);
      if (reason) {
        skipped.push({ case: c.name, reason });
        progress(`skipping ${c.name}: ${reason}`);
        continue;
      }
      const baselineBefore =
        c.id === 'jobs' && baselineResult ? await reference(baselineReference) : undefined;
      const result = await run(c.id, {
        name: c.name,
        unit: c.unit,
        url: serviceUrl,
        pid: service.pid,
        requests: c.requests(),
        headers: c.headers,
        note: c.note,
        prepare: c.before && (() => c.before!(ctx)),
        leavesWork: c.after !== undefined,
      });
      if (result && baselineBefore !== undefined) {
        const baselineAfter = await reference(baselineReference, 'after');
        baselineAlongside = around(baselineBefore, baselineAfter);
      }
      if (result) {
        serviceResults.set(c.id, result);
        if (c.after) {
          const extra = await c.after(ctx, result);
          if (extra) {
            notes.push(`${c.name}: ${extra}`);
            progress(`  ${extra}`);
          }
        }
      }
    }

    const targets = checkTargets(baselineAlongside, serviceResults);
    const report: BenchReport = {
      startedAt,
      machine: machineInfo(db.version, Math.round(loadAtStart * 100) / 100),
      settings: {
        'load generator': `autocannon ${autocannonVersion()} in one process, ${CONNECTIONS} connections, pipelining 1, ${WARMUP} s warm-up then ${DURATION} s per case; the bare handler again just before and just after each case (1 s warm-up, ${PAIR} s each; a ratio is against their mean, a webhook case's against the one before, since its inbox backlog is still being worked off after it), and the hand-written transaction likewise around the admission case`,
        service: `node dist/src/main.js, NODE_ENV=production, LOG_LEVEL=${fixtures.serviceEnv.LOG_LEVEL} (logs to a file), DATABASE_POOL_SIZE=${fixtures.serviceEnv.DATABASE_POOL_SIZE ?? 10}`,
        'seeded accounts': fixtures.seededSummary(),
      },
      bareRequestsPerSecond: bareResult?.requestsPerSecond ?? 0,
      cases,
      targets,
      skipped,
      notes,
    };
    if (!ONLY) writeResults(join(ROOT, 'bench'), report);
    console.log('');
    console.log(renderTargets(report));
    console.log('');
    console.log(renderTable(report));
    if (skipped.length) {
      console.log('');
      for (const s of skipped) console.log(`not measured: ${s.case}: ${s.reason}`);
    }
    if (ONLY) console.log('\n(BENCH_CASES set: results files not written)');
  } finally {
    for (const c of children.reverse()) await c.stop();
    await fixtures?.stop();
    await dropBenchDatabase(serverUrl, db.url);
  }
}

/** A reference around a case: the mean of its measurements before and after, or the one before. */
function around(before: number, after: number | undefined): number {
  return after === undefined ? before : Math.round((before + after) / 2);
}

/** What an admit request leaves for its finish request on the same connection. */
interface PairContext {
  accountId: string;
  jobId: string;
}

function baselinePairRequests(accounts: number): autocannon.Request[] {
  let n = 0;
  return [
    {
      method: 'POST',
      path: '/admit',
      setupRequest: (req, context) => {
        const ctx = context as PairContext;
        const accountId = `acct_${String(Math.floor(Math.random() * accounts)).padStart(5, '0')}`;
        const jobId = `job_${process.pid}_${++n}`;
        ctx.accountId = accountId;
        ctx.jobId = jobId;
        return { ...req, body: JSON.stringify({ accountId, jobId }) };
      },
    },
    {
      method: 'POST',
      setupRequest: (req, context) => {
        const ctx = context as PairContext;
        return {
          ...req,
          path: `/finish/${ctx.jobId}`,
          body: JSON.stringify({ accountId: ctx.accountId }),
        };
      },
    },
  ];
}

type MeasuredCase = BenchReport['cases'][number];

function checkTargets(
  baselineRps: number | undefined,
  service: Map<string, MeasuredCase>,
): TargetCheck[] {
  const out: TargetCheck[] = [];
  const coverage = service.get('coverage');
  if (coverage) {
    const bareRps = coverage.bareRequestsPerSecond;
    const ratio = coverage.requestsPerSecond / bareRps;
    out.push({
      case: 'POST /v1/coverage',
      target: '≥ 0.5 × bare handler',
      measured: `${ratio.toFixed(2)} × (${coverage.requestsPerSecond} vs ${bareRps} req/s, the bare handler measured just before and after)`,
      pass: ratio >= 0.5,
    });
  }
  const jobs = service.get('jobs');
  if (baselineRps !== undefined && jobs) {
    const ratio = jobs.requestsPerSecond / baselineRps;
    out.push({
      case: 'POST /v1/jobs + finish',
      target: '≥ hand-written transaction',
      measured: `${ratio.toFixed(2)} × (${jobs.requestsPerSecond} vs ${baselineRps} req/s, the transaction measured just before and after)`,
      pass: ratio >= 1,
    });
  }
  const stripe = service.get('webhook-stripe');
  if (stripe) {
    const accepted = Math.round(
      Object.entries(stripe.statuses)
        .filter(([code]) => code.startsWith('2'))
        .reduce((s, [, n]) => s + n, 0) / stripe.durationSeconds,
    );
    out.push({
      case: 'POST /webhooks/stripe',
      target: '≥ 1,000 events/s acknowledged',
      measured: `${accepted} events/s`,
      pass: accepted >= 1000,
    });
  }
  return out;
}

function autocannonVersion(): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('autocannon/package.json') as { version: string }).version;
}

function progress(message: string): void {
  console.log(`[bench] ${message}`);
}

main().catch((e: unknown) => {
  console.error('bench failed:', e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
