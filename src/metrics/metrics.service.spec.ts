import { MetricsService } from './metrics.service';

describe('MetricsService tallies', () => {
  it('adds what a tally counted to its counter whenever the registry is read, once', async () => {
    const metrics = new MetricsService();
    const counter = metrics.counter('things_total', 'Things', ['kind', 'where']);
    const byKind = metrics.tallyEach(counter, 'kind', ['a', 'b'], { where: 'here' });
    byKind.a.inc();
    byKind.a.inc();
    byKind.b.inc();
    counter.inc({ kind: 'a', where: 'here' }); // the counter's own inc still counts

    expect(await metrics.value('things_total', { kind: 'a', where: 'here' })).toBe(3);
    expect(await metrics.value('things_total', { kind: 'b' })).toBe(1);
    // Read again: nothing added twice.
    expect(await metrics.value('things_total', { kind: 'a' })).toBe(3);

    byKind.b.inc();
    const text = await metrics.registry.metrics();
    const series = (kind: string, value: number) =>
      new RegExp(
        `^things_total\\{(?=[^}]*kind="${kind}")(?=[^}]*where="here")[^}]*\\} ${value}$`,
        'm',
      );
    expect(text).toMatch(series('a', 3));
    expect(text).toMatch(series('b', 2));
  });

  it('counts requests by method, route and status through tallies', async () => {
    const metrics = new MetricsService();
    metrics.recordRequest('POST', '/v1/coverage', 200, 0.001);
    metrics.recordRequest('POST', '/v1/coverage', 200, 0.002);
    metrics.recordRequest('POST', '/v1/coverage', 400, 0.001);
    expect(
      await metrics.value('http_requests_total', { route: '/v1/coverage', status: '200' }),
    ).toBe(2);
    expect(
      await metrics.value('http_requests_total', { route: '/v1/coverage', status: '400' }),
    ).toBe(1);
  });

  it('refuses a tally of a counter it did not make', () => {
    const metrics = new MetricsService();
    const other = new MetricsService().counter('x_total', 'x', ['k']);
    expect(() => metrics.tally(other, { k: 'v' })).toThrow(/counter made by counter\(\)/);
  });
});
