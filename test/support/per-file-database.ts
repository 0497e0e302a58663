import { createTestDatabase, dropTestDatabase } from './test-database';

/**
 * Every integration and e2e file gets a fresh database on the test server, so suites never see
 * each other's rows (counts, inbox backlogs, workers picking up another suite's events).
 * A file's database is dropped when the next file of the same process starts (jest runs a setup
 * file's afterAll before the test file's own, while its apps may still be open) and the rest in
 * the global teardown.
 */
const server = process.env.TEST_DATABASE_SERVER_URL;
if (server) {
  let mine: string | undefined;
  beforeAll(async () => {
    const leftover = process.env.TEST_DATABASE_TO_DROP;
    if (leftover) {
      delete process.env.TEST_DATABASE_TO_DROP;
      await dropTestDatabase(server, leftover);
    }
    mine = await createTestDatabase(server, process.env.TEST_RUN_ID);
    process.env.DATABASE_URL = mine;
  });
  afterAll(() => {
    if (mine) process.env.TEST_DATABASE_TO_DROP = mine;
    process.env.DATABASE_URL = process.env.TEST_RUN_DATABASE_URL;
  });
}
