import { nextUtcMidnight, UsageReaderRegistry } from './usage-reader.registry';

describe('UsageReaderRegistry', () => {
  const now = new Date('2026-03-10T17:45:00Z');

  it('reads zero jobs until a reader is registered, resetting at the next UTC midnight', async () => {
    const registry = new UsageReaderRegistry();
    expect(registry.registered).toBe(false);
    expect(await registry.usageToday('acc_1', now)).toEqual({
      completedJobs: 0,
      renderSpark: 0,
      resetsAt: new Date('2026-03-11T00:00:00Z'),
    });
  });

  it('asks the registered reader', async () => {
    const registry = new UsageReaderRegistry();
    const seen: string[] = [];
    registry.register({
      usageToday: (accountId, at) => {
        seen.push(`${accountId}@${at.toISOString()}`);
        return Promise.resolve({
          completedJobs: 7,
          renderSpark: 30,
          resetsAt: nextUtcMidnight(at),
        });
      },
    });
    expect(registry.registered).toBe(true);
    expect((await registry.usageToday('acc_2', now)).completedJobs).toBe(7);
    expect(seen).toEqual(['acc_2@2026-03-10T17:45:00.000Z']);
  });

  it.each([
    ['2026-12-31T23:59:59.999Z', '2027-01-01T00:00:00.000Z'],
    ['2026-02-28T00:00:00.000Z', '2026-03-01T00:00:00.000Z'],
  ])('next UTC midnight after %s is %s', (at, expected) => {
    expect(nextUtcMidnight(new Date(at)).toISOString()).toBe(expected);
  });
});
