/**
 * One measured case: autocannon on loopback (in this process: the load generator) against a
 * process whose CPU is measured at the same time.
 */
import autocannon from 'autocannon';
import { CpuMeter, CpuSplit } from './cpu';

export interface CaseResult {
  name: string;
  /** What one "request" is in this case (e.g. an admit+finish pair counts as two requests). */
  unit: string;
  requestsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Responses by status class, to see that the load did what it meant to. */
  statuses: Record<string, number>;
  errors: number;
  timeouts: number;
  durationSeconds: number;
  connections: number;
  cpu: CpuSplit;
}

export interface LoadOptions {
  name: string;
  unit?: string;
  url: string;
  connections: number;
  durationSeconds: number;
  warmupSeconds: number;
  /** Processes under test (their CPU is the "target" share). */
  targetPids: number[];
  requests: autocannon.Request[];
  headers?: Record<string, string>;
}

async function run(opts: LoadOptions, duration: number): Promise<autocannon.Result> {
  return autocannon({
    url: opts.url,
    connections: opts.connections,
    duration,
    pipelining: 1,
    headers: { 'content-type': 'application/json', ...opts.headers },
    requests: opts.requests,
    timeout: 10,
  });
}

export async function measure(opts: LoadOptions): Promise<CaseResult> {
  if (opts.warmupSeconds > 0) await run(opts, opts.warmupSeconds);
  const meter = new CpuMeter(opts.targetPids);
  const r = await run(opts, opts.durationSeconds);
  const cpu = meter.stop();
  const statuses: Record<string, number> = {
    '1xx': r['1xx'],
    '2xx': r['2xx'],
    '3xx': r['3xx'],
    '4xx': r['4xx'],
    '5xx': r['5xx'],
  };
  // statusCodeStats gives the exact codes (e.g. 429 vs 400), which say more than the classes.
  const byCode = r.statusCodeStats;
  if (byCode) {
    for (const k of Object.keys(statuses)) delete statuses[k];
    for (const [code, stat] of Object.entries(byCode)) statuses[code] = stat.count ?? 0;
  }
  return {
    name: opts.name,
    unit: opts.unit ?? 'request',
    requestsPerSecond: Math.round(r.requests.average),
    p50Ms: r.latency.p50,
    p99Ms: r.latency.p99,
    requests: r.requests.total,
    statuses,
    errors: r.errors,
    timeouts: r.timeouts,
    durationSeconds: opts.durationSeconds,
    connections: opts.connections,
    cpu,
  };
}
