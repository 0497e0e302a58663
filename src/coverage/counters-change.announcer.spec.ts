import { CountersChangeAnnouncer, payloads } from './counters-change.announcer';
import type { CoverageCountersCache } from './coverage-counters-cache';
import type { CoverageDatabase } from './coverage-database';

describe('payloads of counters-change announcements', () => {
  it('joins account ids with commas, one payload while it fits', () => {
    expect(payloads(['a', 'b_1', 'c-2'])).toEqual(['a,b_1,c-2']);
    expect(payloads([])).toEqual([]);
  });

  it('splits before Postgres’s 8,000-byte limit and loses no account', () => {
    const ids = Array.from({ length: 1000 }, (_, i) => `acct_${String(i).padStart(59, '0')}`);
    const out = payloads(ids);
    expect(out.length).toBeGreaterThan(1);
    for (const p of out) expect(Buffer.byteLength(p)).toBeLessThan(8000);
    expect(out.flatMap((p) => p.split(','))).toEqual(ids);
  });
});

describe('CountersChangeAnnouncer', () => {
  function setUp(fail = false) {
    const sent: string[][] = [];
    const gates: (() => void)[] = [];
    const db = {
      query: jest.fn(async (_statement: unknown, values: unknown[]) => {
        sent.push(values[1] as string[]);
        await new Promise<void>((resolve) => gates.push(resolve));
        if (fail) throw new Error('connection lost');
        return [];
      }),
    };
    const invalidated: string[] = [];
    const counters = { invalidate: (id: string) => invalidated.push(id) };
    const announcer = new CountersChangeAnnouncer(
      db as unknown as CoverageDatabase,
      counters as unknown as CoverageCountersCache,
    );
    const release = async () => {
      while (gates.length === 0) await new Promise((r) => setImmediate(r));
      gates.shift()!();
    };
    return { announcer, sent, invalidated, release };
  }

  it('drops the account here at once and batches what changes while a send is on its way', async () => {
    const { announcer, sent, invalidated, release } = setUp();
    announcer.changed('a');
    announcer.changed('b');
    announcer.changed('c');
    announcer.changed('b');
    expect(invalidated).toEqual(['a', 'b', 'c', 'b']);
    await release();
    await release();
    await announcer.settled();
    expect(sent).toEqual([['a'], ['b,c']]);
  });

  it('goes on after a failed send, and sends a later change', async () => {
    const { announcer, sent, release } = setUp(true);
    announcer.changed('a');
    await release();
    await announcer.settled();
    announcer.changed('b');
    await release();
    await announcer.settled();
    expect(sent).toEqual([['a'], ['b']]);
  });
});
