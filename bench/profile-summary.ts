/**
 * Where the service's CPU went: reads a V8 CPU profile written by `BENCH_CPU_PROF=1 npm run bench`
 * (bench/.tmp/prof/*.cpuprofile) and prints self time by package / service module and the
 * hottest functions, over the last seconds of the run (the last case measured, without shutdown).
 *
 *   TS_NODE_SWC=true TS_NODE_TRANSPILE_ONLY=true npx ts-node bench/profile-summary.ts <file> [seconds]
 *
 * Run the bench with BENCH_CASES=<one case> so the window holds that case only.
 */
import { readFileSync } from 'node:fs';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
}
interface ProfileNode {
  id: number;
  callFrame: CallFrame;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  samples: number[];
  timeDeltas: number[];
}

function bucket(frame: CallFrame): string {
  const { url, functionName } = frame;
  if (url.includes('node_modules/')) {
    const parts = url.split('node_modules/').pop()!.split('/');
    return parts[0].startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0];
  }
  if (url.includes('/dist/src/')) return `service ${url.split('/dist/src/')[1].split('/')[0]}`;
  if (url.startsWith('node:')) return `node ${url.slice(5).split('/').pop()}`;
  return `native ${functionName}`;
}

function label(frame: CallFrame): string {
  const url = frame.url.includes('node_modules/')
    ? frame.url.split('node_modules/').pop()!
    : frame.url.replace(/^file:\/\/.*?\/dist\//, 'dist/');
  return `${frame.functionName || '(anonymous)'} ${url}:${frame.lineNumber}`;
}

function main(): void {
  const [file, windowArg] = process.argv.slice(2);
  if (!file) {
    console.error('usage: profile-summary <file.cpuprofile> [seconds]');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  let t = profile.startTime;
  const times = profile.timeDeltas.map((d) => (t += d));
  const end = times[times.length - 1] - 500_000; // leave out the shutdown
  const start = end - Number(windowArg ?? 10) * 1_000_000;

  const self = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    if (times[i] >= start && times[i] <= end) {
      self.set(id, (self.get(id) ?? 0) + profile.timeDeltas[i]);
    }
  });
  let idle = 0;
  let busy = 0;
  const byBucket = new Map<string, number>();
  const byFunction = new Map<string, number>();
  for (const [id, us] of self) {
    const frame = nodes.get(id)!.callFrame;
    if (frame.functionName === '(idle)') {
      idle += us;
      continue;
    }
    busy += us;
    byBucket.set(bucket(frame), (byBucket.get(bucket(frame)) ?? 0) + us);
    byFunction.set(label(frame), (byFunction.get(label(frame)) ?? 0) + us);
  }
  const pct = (us: number) => `${((us / busy) * 100).toFixed(1).padStart(5)}%`;
  console.log(`window ${windowArg ?? 10} s, busy ${((busy / (busy + idle)) * 100).toFixed(0)}%`);
  console.log('\nself time by package or service module (% of busy time)');
  for (const [k, v] of [...byBucket].sort((a, b) => b[1] - a[1]).slice(0, 30)) {
    console.log(`${pct(v)} ${k}`);
  }
  console.log('\nhottest functions (self)');
  for (const [k, v] of [...byFunction].sort((a, b) => b[1] - a[1]).slice(0, 25)) {
    console.log(`${pct(v)} ${k}`);
  }
}

main();
