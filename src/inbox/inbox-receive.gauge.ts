import { Injectable } from '@nestjs/common';

/**
 * How many receives this instance is storing right now. The worker reads it to yield to them:
 * an acknowledgement keeps a store waiting, processing can wait (see InboxWorker).
 */
@Injectable()
export class InboxReceiveGauge {
  private pending = 0;

  /** Some receive is being stored (or waits for its group write). */
  get busy(): boolean {
    return this.pending > 0;
  }

  /** Counts `work` as a receive in progress until it settles. */
  async track<T>(work: Promise<T>): Promise<T> {
    this.pending++;
    try {
      return await work;
    } finally {
      this.pending--;
    }
  }
}
