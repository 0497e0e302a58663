/** Bounds of one group-commit batch and of the writes in flight. */
export interface GroupCommitOptions<T> {
  /** Items per write, at most. */
  maxItems: number;
  /** Summed `weigh` of the items of one write, at most (an item heavier than this goes alone). */
  maxWeight: number;
  weigh: (item: T) => number;
  /** Writes running at once; later items wait for one of them to end. */
  maxInFlight: number;
  /**
   * A failed write of several items whose error this accepts is done again item by item, so an
   * item the store refuses (its content, not the store's health) fails only its own caller.
   */
  retryAlone?: (error: unknown) => boolean;
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
  private readonly waiting: Waiting<T, R>[] = [];
  private inFlight = 0;

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
      this.inFlight++;
      void this.run(this.takeBatch()).finally(() => {
        this.inFlight--;
        this.pump();
      });
    }
  }

  private takeBatch(): Waiting<T, R>[] {
    const { maxItems, maxWeight, weigh } = this.options;
    let count = 1;
    let weight = weigh(this.waiting[0].item);
    while (count < Math.min(maxItems, this.waiting.length)) {
      const next = weigh(this.waiting[count].item);
      if (weight + next > maxWeight) break;
      weight += next;
      count++;
    }
    return this.waiting.splice(0, count);
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
