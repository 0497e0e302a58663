/** Holds a fake's async work back until released: how a spec overlaps a read with a change. */
export class Gate {
  private closed: Promise<void> | null = null;
  private open: (() => void) | null = null;

  hold(): void {
    this.closed = new Promise((resolve) => (this.open = resolve));
  }

  release(): void {
    this.open?.();
    this.closed = null;
  }

  /** Resolves at once while open, else when released. */
  async pass(): Promise<void> {
    if (this.closed !== null) await this.closed;
  }
}
