import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

export const ROOT = join(__dirname, '..', '..');
export const TMP = join(ROOT, 'bench', '.tmp');

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

export interface Child {
  name: string;
  process: ChildProcess;
  pid: number;
  logFile: string;
  log(): string;
  stop(): Promise<void>;
}

/**
 * Starts a process whose output goes to a file (not through a pipe to this process, so reading
 * it costs the load generator nothing).
 */
export function startChild(
  name: string,
  args: string[],
  env: Record<string, string | undefined>,
): Child {
  mkdirSync(TMP, { recursive: true });
  const logFile = join(TMP, `${name}.log`);
  const fd = openSync(logFile, 'w');
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...env },
    stdio: ['ignore', fd, fd],
  });
  closeSync(fd);
  if (child.pid === undefined) throw new Error(`${name} did not start`);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    name,
    process: child,
    pid: child.pid,
    logFile,
    log: () => readFileSync(logFile, 'utf8'),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** ts-node arguments for running one of the bench's TypeScript files in a child process. */
export const TS_NODE_ENV = { TS_NODE_SWC: 'true', TS_NODE_TRANSPILE_ONLY: 'true' };
export const tsNode = (file: string): string[] => ['-r', 'ts-node/register', join(ROOT, file)];

/** Polls a URL until it answers `status` (or the child dies, or the deadline passes). */
export async function waitForHttp(
  child: Child,
  url: string,
  { timeoutMs = 60_000, status = 200, method = 'GET' } = {},
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.process.exitCode !== null) {
      throw new Error(`${child.name} exited:\n${child.log().slice(-4000)}`);
    }
    try {
      const res = await fetch(url, { method });
      if (res.status === status) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      throw new Error(`${child.name} not ready at ${url}:\n${child.log().slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}
