import { Client } from 'pg';
import { PrivatePostgres } from '../support/private-postgres';

const describeIfServer = PrivatePostgres.available() ? describe : describe.skip;

describeIfServer('a private Postgres for fault tests', () => {
  it('starts, answers, stops (refusing connections), and starts again with its data', async () => {
    const pg = await PrivatePostgres.create();
    try {
      const query = async (sql: string) => {
        const c = new Client({ connectionString: pg.url, connectionTimeoutMillis: 2000 });
        await c.connect();
        try {
          return (await c.query(sql)).rows;
        } finally {
          await c.end();
        }
      };
      await query('CREATE TABLE kept (x int); INSERT INTO kept VALUES (42)');
      await pg.stop();
      await expect(query('SELECT 1')).rejects.toThrow();
      await pg.start();
      expect(await query('SELECT x FROM kept')).toEqual([{ x: 42 }]);
    } finally {
      await pg.destroy();
    }
  });
});
