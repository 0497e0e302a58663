/** Bounds of one group-commit batch and of the writes in flight. */
export interface GroupCommitOptions<T> {
  /** Items per write, at most. */
  maxItems: number;
  /**
   * Summed `weigh` of the items of one write, at most (an item heavier than this goes alone).
   * Without `weigh`, only `maxItems` bounds a write.
   */
  maxWeight?: number;
  weigh?: (item: T) => number;
  /** Writes running at once; later items wait for one of them to end. */
  maxInFlight: number;
  /**
   * A failed write of several items whose error this accepts is done again item by item, so an
   * item the store refuses (its content, not the store's health) fails only its own caller.
   */
  retryAlone?: (error: unknown) => boolean;
  /**
   * What an item holds in its write (its account, its job id): an item sharing a key with an
   * item of a write in flight, or with one already taken, is left for a later write, so the items
   * of one key are written one at a time, in order.
   */
  keys?: (item: T) => readonly string[];
}

interface Waiting<T, R> {
  item: T;
  resolve: (result: R) => void;
  reject: (error: unknown) => void;
}

/**
 * Group commit: items submitted while a write is in flight wait for the next write, which takes
 * them together (up to the bounds). No timer: a lone item is written at once, and a batch is
 * whatever arrived during the previous write. Each caller settles with its own item's outcome,
 * once the write that holds it is over; a failed write fails only the callers of its items.
 */
export class GroupCommitter<T, R> {
  private waiting: Waiting<T, R>[] = [];
  private inFlight = 0;
  /** The keys of the items in the writes in flight. */
  private readonly held = new Set<string>();

  /** `write` returns one result per item, in the items' order, once they are durable. */
  constructor(
    private readonly write: (items: T[]) => Promise<R[]>,
    private readonly options: GroupCommitOptions<T>,
  ) {}

  submit(item: T): Promise<R> {
    return new Promise<R>((resolve, reject) => {
      this.waiting.push({ item, resolve, reject });
      this.pump();
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.waiting.length > 0) {
      const batch = this.takeBatch();
      // Every item waiting shares a key with a write in flight: its end pumps again.
      if (batch.length === 0) return;
      const keys = this.options.keys === undefined ? [] : batch.flatMap((w) => this.keysOf(w));
      for (const key of keys) this.held.add(key);
      this.inFlight++;
      void this.run(batch).finally(() => {
        for (const key of keys) this.held.delete(key);
        this.inFlight--;
        this.pump();
      });
    }
  }

  private keysOf(w: Waiting<T, R>): readonly string[] {
    return this.options.keys?.(w.item) ?? [];
  }

  private takeBatch(): Waiting<T, R>[] {
    const { maxItems, maxWeight, weigh } = this.options;
    const taken: Waiting<T, R>[] = [];
    const left: Waiting<T, R>[] = [];
    const held = new Set<string>(this.held);
    let weight = 0;
    let i = 0;
    for (; i < this.waiting.length && taken.length < maxItems; i++) {
      const w = this.waiting[i];
      const itemKeys = this.keysOf(w);
      if (itemKeys.some((key) => held.has(key))) {
        left.push(w);
        continue;
      }
      const next = weigh?.(w.item) ?? 0;
      if (taken.length > 0 && weight + next > (maxWeight ?? Infinity)) break;
      weight += next;
      taken.push(w);
      for (const key of itemKeys) held.add(key);
    }
    this.waiting = left.concat(this.waiting.slice(i));
    return taken;
  }

  private async run(batch: Waiting<T, R>[]): Promise<void> {
    try {
      const results = await this.write(batch.map((w) => w.item));
      if (results.length !== batch.length) {
        throw new Error(`a group write returned ${results.length} results for ${batch.length}`);
      }
      batch.forEach((w, i) => w.resolve(results[i]));
    } catch (error) {
      if (batch.length > 1 && this.options.retryAlone?.(error) === true) {
        for (const w of batch) await this.run([w]);
        return;
      }
      for (const w of batch) w.reject(error);
    }
  }
}
