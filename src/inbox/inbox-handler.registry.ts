import { Injectable, Logger } from '@nestjs/common';
import type { Store } from '../entitlements/domain';
import type { InboxHandler } from './inbox.types';

/**
 * The inbox handler of each store. Store modules register theirs in `onModuleInit`; the worker
 * starts after every module is initialised, so it sees them all.
 */
@Injectable()
export class InboxHandlerRegistry {
  private readonly logger = new Logger(InboxHandlerRegistry.name);
  private readonly handlers = new Map<Store, InboxHandler>();

  /** One handler per store: registering a second one for the same store is a wiring mistake. */
  register(handler: InboxHandler): void {
    const existing = this.handlers.get(handler.store);
    if (existing !== undefined && existing !== handler) {
      throw new Error(`an inbox handler for ${handler.store} is already registered`);
    }
    this.handlers.set(handler.store, handler);
    this.logger.log({ store: handler.store }, 'inbox handler registered');
  }

  get(store: Store): InboxHandler | undefined {
    return this.handlers.get(store);
  }
}
