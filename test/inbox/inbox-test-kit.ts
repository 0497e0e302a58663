import type { Store } from '../../src/entitlements/domain';
import { InboxHandlerRegistry } from '../../src/inbox/inbox-handler.registry';
import type { InboxHandler, InboxOutcome, StoredInboxEvent } from '../../src/inbox/inbox.types';
import type { TestApp } from '../support/test-app';

/** A handler whose behaviour the test sets, recording every call. */
export class ScriptedHandler implements InboxHandler {
  readonly calls: StoredInboxEvent[] = [];
  behaviour: (event: StoredInboxEvent) => Promise<InboxOutcome> = () =>
    Promise.resolve({ kind: 'processed' });

  constructor(readonly store: Store) {}

  handle(event: StoredInboxEvent): Promise<InboxOutcome> {
    this.calls.push(event);
    return this.behaviour(event);
  }
}

/**
 * Puts test handlers in place of whatever the app's store modules registered (a store missing
 * from `handlers` has none), without touching the registry's own rules.
 */
export function useHandlers(t: TestApp, handlers: Partial<Record<Store, InboxHandler>>): void {
  const registry = t.app.get(InboxHandlerRegistry);
  jest.spyOn(registry, 'get').mockImplementation((store: Store) => handlers[store]);
}

/** Polls `probe` until it returns a value that is not undefined, or fails after the deadline. */
export async function eventually<T>(
  probe: () => Promise<T | undefined>,
  what: string,
  timeoutMs = 15000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Records in `settled` the name of a promise once it settles, so a test can see which still wait. */
export function tracked<T>(promise: Promise<T>, settled: Set<string>, name: string): Promise<T> {
  return promise.then(
    (value) => {
      settled.add(name);
      return value;
    },
    (error: unknown) => {
      settled.add(name);
      throw error;
    },
  );
}
