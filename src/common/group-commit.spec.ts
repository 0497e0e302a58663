import { tracked } from '../../test/inbox/inbox-test-kit';
import { GroupCommitter, type GroupCommitOptions } from './group-commit';

interface Write {
  items: string[];
  succeed: (results?: string[]) => void;
  fail: (error: unknown) => void;
}

/** A store whose writes the test ends one by one; records what each write held. */
class ControlledStore {
  readonly writes: Write[] = [];
  private readonly listeners: (() => void)[] = [];

  readonly write = (items: string[]): Promise<string[]> =>
    new Promise<string[]>((resolve, reject) => {
      this.writes.push({
        items,
        succeed: (results) => resolve(results ?? items.map((i) => `stored ${i}`)),
        fail: reject,
      });
      for (const listener of this.listeners.splice(0)) listener();
    });

  /** Resolves with write number `n` (0-based) once it has started. */
  async started(n: number): Promise<Write> {
    while (this.writes.length <= n) {
      await new Promise<void>((resolve) => this.listeners.push(resolve));
    }
    return this.writes[n];
  }
}

const refused = Object.assign(new Error('invalid input syntax for type json'), { code: '22P02' });
const unreachable = Object.assign(new Error('connection terminated'), { code: '57P01' });

function committer(
  store: ControlledStore,
  options: Partial<GroupCommitOptions<string>> = {},
): GroupCommitter<string, string> {
  return new GroupCommitter(store.write, {
    maxItems: 10,
    maxWeight: 1000,
    weigh: (item) => item.length,
    maxInFlight: 1,
    retryAlone: (error) => (error as { code?: string }).code?.startsWith('22') === true,
    ...options,
  });
}

/**
 * Submits `items` while a lone first write ('lead') is in flight, then ends that write: the items
 * wait together for the second write. Returns their promises, in order.
 */
async function groupedBehindALead(
  store: ControlledStore,
  group: GroupCommitter<string, string>,
  items: string[],
): Promise<Promise<string>[]> {
  const lead = group.submit('lead');
  const first = await store.started(0);
  const grouped = items.map((item) => group.submit(item));
  first.succeed();
  await lead;
  return grouped;
}

describe('GroupCommitter', () => {
  it('writes a lone item at once and the items arriving meanwhile together in the next write', async () => {
    const store = new ControlledStore();
    const group = committer(store);
    const settled = new Set<string>();
    const a = tracked(group.submit('a'), settled, 'a');
    const first = await store.started(0);
    expect(first.items).toEqual(['a']);
    const b = tracked(group.submit('b'), settled, 'b');
    const c = tracked(group.submit('c'), settled, 'c');
    expect(store.writes).toHaveLength(1);

    first.succeed();
    await expect(a).resolves.toBe('stored a');
    const second = await store.started(1);
    expect(second.items).toEqual(['b', 'c']);
    expect(settled).toEqual(new Set(['a']));

    second.succeed(['result for b', 'result for c']);
    await expect(b).resolves.toBe('result for b');
    await expect(c).resolves.toBe('result for c');
    expect(store.writes).toHaveLength(2);
  });

  it('settles no caller before the write holding its item is over', async () => {
    const store = new ControlledStore();
    const group = committer(store);
    const settled = new Set<string>();
    const a = tracked(group.submit('a'), settled, 'a');
    const write = await store.started(0);
    // Let every pending callback run: the write is still open, so nothing may settle.
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled.size).toBe(0);
    write.succeed();
    await a;
    expect(settled).toEqual(new Set(['a']));
  });

  it('bounds a write by item count and by summed weight; a heavier item goes alone', async () => {
    const store = new ControlledStore();
    const group = committer(store, { maxItems: 3, maxWeight: 10 });
    const all = ['lead', 'a', 'b', 'c', 'd', 'eeeeee', 'ffff', 'g'.repeat(25), 'h'].map((item) =>
      group.submit(item),
    );
    const expected = [
      ['lead'],
      ['a', 'b', 'c'],
      ['d', 'eeeeee'],
      ['ffff'],
      ['g'.repeat(25)],
      ['h'],
    ];
    for (const [n, items] of expected.entries()) {
      const write = await store.started(n);
      expect(write.items).toEqual(items);
      write.succeed();
    }
    await expect(Promise.all(all)).resolves.toHaveLength(9);
  });

  it('fails only the callers of a failed write; the next write goes ahead', async () => {
    const store = new ControlledStore();
    const group = committer(store);
    const [a, b] = await groupedBehindALead(store, group, ['a', 'b']);
    const second = await store.started(1);
    const c = group.submit('c');
    second.fail(unreachable);
    await expect(a).rejects.toBe(unreachable);
    await expect(b).rejects.toBe(unreachable);
    const third = await store.started(2);
    expect(third.items).toEqual(['c']);
    third.succeed();
    await expect(c).resolves.toBe('stored c');
    // Not an error of content: nothing was written again item by item.
    expect(store.writes).toHaveLength(3);
  });

  it('writes a group refused for its content again item by item, so only the bad item fails', async () => {
    const store = new ControlledStore();
    const group = committer(store);
    const [good, bad, alsoGood] = await groupedBehindALead(store, group, [
      'good',
      'bad',
      'also good',
    ]);
    (await store.started(1)).fail(refused);
    const retries = [await store.started(2)];
    retries[0].succeed();
    retries.push(await store.started(3));
    retries[1].fail(refused);
    retries.push(await store.started(4));
    retries[2].succeed();
    expect(retries.map((w) => w.items)).toEqual([['good'], ['bad'], ['also good']]);
    await expect(good).resolves.toBe('stored good');
    await expect(bad).rejects.toBe(refused);
    await expect(alsoGood).resolves.toBe('stored also good');
  });

  it('runs up to maxInFlight writes at once', async () => {
    const store = new ControlledStore();
    const group = committer(store, { maxInFlight: 2 });
    const results = ['a', 'b', 'c', 'd'].map((item) => group.submit(item));
    const [first, second] = [await store.started(0), await store.started(1)];
    expect([first.items, second.items]).toEqual([['a'], ['b']]);
    expect(store.writes).toHaveLength(2);
    second.succeed();
    const third = await store.started(2);
    expect(third.items).toEqual(['c', 'd']);
    first.succeed();
    third.succeed();
    await expect(Promise.all(results)).resolves.toEqual(
      ['a', 'b', 'c', 'd'].map((i) => `stored ${i}`),
    );
  });

  it('leaves an item sharing a key with a taken item for a later write, in order', async () => {
    const store = new ControlledStore();
    // An item's key is its first letter: 'a1' and 'a2' share one.
    const group = committer(store, { keys: (item) => [item[0]] });
    const all = await groupedBehindALead(store, group, ['a1', 'b1', 'a2', 'c1', 'a3', 'b2']);
    const expected = [['a1', 'b1', 'c1'], ['a2', 'b2'], ['a3']];
    for (const [n, items] of expected.entries()) {
      const write = await store.started(n + 1);
      expect(write.items).toEqual(items);
      write.succeed();
    }
    await expect(Promise.all(all)).resolves.toHaveLength(6);
  });

  it('keeps an item whose key a write in flight holds until that write is over', async () => {
    const store = new ControlledStore();
    const group = committer(store, { maxInFlight: 2, keys: (item) => [item[0]] });
    const a1 = group.submit('a1');
    const first = await store.started(0);
    const a2 = group.submit('a2');
    const b1 = group.submit('b1');
    // The second slot is free, but a2 must wait for a1's write: b1 goes alone.
    const second = await store.started(1);
    expect(second.items).toEqual(['b1']);
    second.succeed();
    await b1;
    expect(store.writes).toHaveLength(2);
    first.succeed();
    await a1;
    const third = await store.started(2);
    expect(third.items).toEqual(['a2']);
    third.succeed();
    await expect(a2).resolves.toBe('stored a2');
  });

  it('fails the callers of a write that answers for a different number of items', async () => {
    const store = new ControlledStore();
    const group = committer(store);
    const a = group.submit('a');
    (await store.started(0)).succeed([]);
    await expect(a).rejects.toThrow('a group write returned 0 results for 1');
  });
});
