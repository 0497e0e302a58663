import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry, collectDefaultMetrics, type LabelValues } from 'prom-client';

/**
 * One label set of a counter, counted as a plain number (see `MetricsService.tally`): what it
 * counted is added to the counter whenever the registry is read.
 */
export class Tally<L extends string = string> {
  private pending = 0;

  constructor(private readonly labels: LabelValues<L>) {}

  inc(by = 1): void {
    this.pending += by;
  }

  /** Adds what was counted since the last read to the counter. */
  addTo(counter: Counter<L>): void {
    if (this.pending === 0) return;
    counter.inc(this.labels, this.pending);
    this.pending = 0;
  }
}

/**
 * The service's one Prometheus registry. Modules create their own counters through it
 * (`counter(...)`), so every metric is served by `/metrics` and tests can read them.
 */
@Injectable()
export class MetricsService {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'method' | 'route' | 'status'>;
  readonly httpDuration: Histogram<'method' | 'route'>;
  /** The tallies of each counter made here, added to it when the registry is read. */
  private readonly tallies = new Map<Counter<string>, Tally<string>[]>();
  /** `http_requests_total`'s tallies by method, status and route. */
  private readonly requestTallies = new Map<string, Tally<'method' | 'route' | 'status'>>();

  constructor() {
    collectDefaultMetrics({ register: this.registry });
    this.httpRequests = this.counter('http_requests_total', 'HTTP requests by route and status', [
      'method',
      'route',
      'status',
    ]);
    this.httpDuration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP request latency by route',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
  }

  /** Counts one answered request and its latency (`http_requests_total`, the histogram). */
  recordRequest(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let tally = this.requestTallies.get(key);
    if (tally === undefined) {
      tally = this.tally(this.httpRequests, { method, route, status: String(status) });
      this.requestTallies.set(key, tally);
    }
    tally.inc();
    this.httpDuration.observe({ method, route }, seconds);
  }

  /** Returns the registered counter of that name, creating it on first use. */
  counter<L extends string>(name: string, help: string, labelNames: readonly L[]): Counter<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Counter<L>;
    const tallies: Tally<L>[] = [];
    const counter = new Counter<L>({
      name,
      help,
      labelNames,
      registers: [this.registry],
      collect(this: Counter<L>) {
        for (const tally of tallies) tally.addTo(this);
      },
    });
    this.tallies.set(counter as Counter<string>, tallies as Tally<string>[]);
    return counter;
  }

  /**
   * One label set of a counter made by `counter()`, for the hot path: `Counter.inc(labels)`
   * hashes its labels on every call (a few hundred nanoseconds, several times per coverage
   * check), a tally adds one to a number. Its counts reach the counter whenever the registry is
   * read (`/metrics`, `value()`), so nothing counted is lost or counted twice.
   */
  tally<L extends string>(counter: Counter<L>, labels: LabelValues<L>): Tally<L> {
    const tallies = this.tallies.get(counter as Counter<string>) as Tally<L>[] | undefined;
    if (tallies === undefined) throw new Error('a tally needs a counter made by counter()');
    const tally = new Tally<L>(labels);
    tallies.push(tally);
    return tally;
  }

  /** A tally for each value of one label, the other labels fixed. */
  tallyEach<L extends string, V extends string>(
    counter: Counter<L>,
    label: NoInfer<L>,
    values: readonly V[],
    fixed: NoInfer<LabelValues<L>> = {},
  ): Record<V, Tally<L>> {
    const byValue = {} as Record<V, Tally<L>>;
    for (const value of values) {
      byValue[value] = this.tally(counter, { ...fixed, [label]: value } as LabelValues<L>);
    }
    return byValue;
  }

  /** Returns the registered histogram of that name, creating it on first use. */
  histogram<L extends string>(
    name: string,
    help: string,
    labelNames: readonly L[],
    buckets?: number[],
  ): Histogram<L> {
    const existing = this.registry.getSingleMetric(name);
    if (existing) return existing as Histogram<L>;
    return new Histogram<L>({ name, help, labelNames, buckets, registers: [this.registry] });
  }

  /** Current value of a counter for some labels (0 when never incremented); for tests and reports. */
  async value(name: string, labels: Record<string, string> = {}): Promise<number> {
    const metric = this.registry.getSingleMetric(name);
    if (!metric) return 0;
    const data = await metric.get();
    return data.values
      .filter((v) => Object.entries(labels).every(([k, val]) => String(v.labels[k]) === val))
      .reduce((sum, v) => sum + v.value, 0);
  }
}
