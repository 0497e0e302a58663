import { DataSource } from 'typeorm';
import { InboxService } from '../../src/inbox/inbox.service';
import { InboxWorker } from '../../src/inbox/inbox.worker';
import { createTestApp, TestApp } from '../support/test-app';
import { createIsolatedDatabase } from '../support/test-database';
import { eventually, ScriptedHandler, useHandlers } from './inbox-test-kit';

/**
 * Several instances on one database. Embedded Postgres lives inside one process and cannot be
 * shared, so this runs only with DATABASE_URL; without it the tests show as skipped.
 */
const sharedDatabase = process.env.DATABASE_URL !== undefined;
const describeShared = sharedDatabase ? describe : describe.skip;
if (!sharedDatabase) {
  console.warn('inbox-workers: skipped (needs DATABASE_URL: several instances on one Postgres)');
}

describeShared('event inbox with several instances on one database (DATABASE_URL)', () => {
  let isolated: NonNullable<Awaited<ReturnType<typeof createIsolatedDatabase>>>;
  const apps: TestApp[] = [];
  const handlers: ScriptedHandler[] = [];
  const handledBy = new Map<string, number[]>();

  beforeAll(async () => {
    const db = await createIsolatedDatabase();
    if (db === null) throw new Error('DATABASE_URL is set but no isolated database was made');
    isolated = db;
    for (let instance = 0; instance < 3; instance++) {
      const t = await createTestApp({
        env: { DATABASE_URL: isolated.url, INBOX_POLL_INTERVAL_MS: '20' },
      });
      const handler = new ScriptedHandler('stripe');
      handler.behaviour = async (event) => {
        handledBy.set(event.id, [...(handledBy.get(event.id) ?? []), instance]);
        // Some work in flight, so the instances' claims overlap in time.
        await new Promise((resolve) => setTimeout(resolve, 2));
        return { kind: 'processed', note: `instance ${instance}` };
      };
      useHandlers(t, { stripe: handler });
      apps.push(t);
      handlers.push(handler);
    }
  });

  afterAll(async () => {
    for (const t of apps) await t.close();
    await isolated?.drop();
  });

  it('processes every event exactly once while all instances claim at the same time', async () => {
    const total = 120;
    const ids: string[] = [];
    await Promise.all(
      Array.from({ length: total }, async (_, i) => {
        const receiver = apps[i % apps.length].app.get(InboxService);
        const { id } = await receiver.receive({
          store: 'stripe',
          storeEventId: `evt_multi_${i}`,
          eventType: 'invoice.paid',
          occurredAt: null,
          payload: { i },
        });
        ids.push(id);
      }),
    );
    await Promise.all(apps.map((t) => t.app.get(InboxWorker).drain()));
    const db = apps[0].app.get(DataSource);
    await eventually(async () => {
      const [{ n }] = await db.query(
        `SELECT count(*)::int AS n FROM inbox_events WHERE status = 'processed'`,
      );
      return n === total ? n : undefined;
    }, 'every event processed');

    expect(handledBy.size).toBe(total);
    const twice = [...handledBy.entries()].filter(([, by]) => by.length !== 1);
    expect(twice).toEqual([]);
    expect(new Set(ids).size).toBe(total);
    const rows: { attempts: number }[] = await db.query('SELECT attempts FROM inbox_events');
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
  });
});
