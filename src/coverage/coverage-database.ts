import { Inject, Injectable } from '@nestjs/common';
import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/app-config';

/** A statement of the hot path: prepared once per connection under `name` on a Postgres server. */
export interface SqlStatement {
  name: string;
  text: string;
  /**
   * Planned on every call rather than prepared once per connection: for a join whose best plan
   * depends on the tables' sizes. A connection's prepared statement keeps the plan it settled on
   * while a table was small (for the finishes: a hash join over every running lease), and Postgres
   * replans it only after an ANALYZE, which may never come; a fresh plan reads the table's current
   * size.
   */
  replan?: true;
}

/** Something that runs SQL: the pool, or the connection of an open transaction. */
export interface SqlRunner {
  query<T>(statement: SqlStatement | string, values?: unknown[]): Promise<T[]>;
}

/**
 * Postgres ended the transaction to break a deadlock. A batch that did (not expected: batches
 * take their locks in one order) is sent again item by item (`GroupCommitter`'s `retryAlone`).
 */
export function isDeadlock(error: unknown): boolean {
  return (error as { code?: unknown } | null)?.code === '40P01';
}

/** Escapes a value as an SQL string literal (cast it in the statement). */
export type SqlLiteral = (value: string) => string;

/** The connection of an open transaction. */
export interface TransactionRunner extends SqlRunner {
  /**
   * A last statement sent in the COMMIT's round trip (a simple query: its values are escaped
   * literals). `committed` gets its rows once the COMMIT has succeeded.
   */
  commitWith(
    statement: (literal: SqlLiteral) => string,
    committed?: (rows: QueryResultRow[]) => void,
  ): void;
}

/**
 * The coverage routes' SQL, straight on the data source's `pg` pool: one request runs a handful
 * of short statements, and TypeORM's query runner around each costs about as much as the
 * statement itself. On a Postgres server the hot statements are prepared (named) once per
 * connection, which spares the server parsing and planning them on every call. Embedded PGlite
 * runs them unnamed: its pool clients share one session, where a second client would find the
 * name already taken.
 */
@Injectable()
export class CoverageDatabase implements SqlRunner {
  private readonly pool: Pool;
  private readonly prepared: boolean;

  constructor(dataSource: DataSource, @Inject(APP_CONFIG) config: AppConfig) {
    this.pool = (dataSource.driver as unknown as { master: Pool }).master;
    this.prepared = config.database.url !== undefined;
  }

  query<T>(statement: SqlStatement | string, values: unknown[] = []): Promise<T[]> {
    return run<T>(this.pool, statement, values, this.prepared);
  }

  /**
   * Runs `work` in one transaction on one connection: committed when it returns, rolled back when
   * it throws. A connection that failed (or could not even roll back) is discarded, not pooled.
   *
   * `opening`, when given, is a statement sent in the same round trip as the BEGIN (a simple
   * query, so its values are escaped literals: `literal` escapes one); `work` gets its rows.
   * Likewise `work` may leave a last statement to send with the COMMIT (`commitWith`): a
   * transaction can take two round trips in all.
   */
  async transaction<T, O = never>(
    work: (tx: TransactionRunner, opened: O[]) => Promise<T>,
    opening?: (literal: SqlLiteral) => string,
  ): Promise<T> {
    const client = await this.pool.connect();
    let broken: Error | undefined;
    // The pool stops listening for a checked-out client's errors: a connection that drops
    // between two statements would emit an 'error' nobody hears, an uncaught exception that ends
    // the process. Listen while it is ours; the next statement fails and the client is discarded.
    const onError = (err: Error): void => {
      broken ??= err;
    };
    client.on('error', onError);
    try {
      let opened: O[] = [];
      if (opening === undefined) {
        await client.query('BEGIN');
      } else {
        const text = `BEGIN; ${opening((value) => client.escapeLiteral(value))}`;
        const results = (await client.query(text)) as unknown as QueryResult[];
        opened = (results[results.length - 1]?.rows ?? []) as O[];
      }
      const literal: SqlLiteral = (value) => client.escapeLiteral(value);
      let closing: string | null = null;
      let onCommitted: ((rows: QueryResultRow[]) => void) | undefined;
      const result = await work(
        {
          query: <R>(statement: SqlStatement | string, values: unknown[] = []) =>
            run<R>(client, statement, values, this.prepared),
          commitWith: (statement, committed) => {
            if (closing !== null) throw new Error('one closing statement per transaction');
            closing = statement(literal);
            onCommitted = committed;
          },
        },
        opened,
      );
      if (closing === null) {
        await client.query('COMMIT');
      } else {
        const results = (await client.query(`${closing}; COMMIT`)) as unknown as QueryResult[];
        onCommitted?.(results[0].rows);
      }
      return result;
    } catch (e) {
      broken ??= await client.query('ROLLBACK').then(
        () => undefined,
        (err: unknown) => (err instanceof Error ? err : new Error('rollback failed')),
      );
      throw e;
    } finally {
      client.off('error', onError);
      client.release(broken);
    }
  }
}

async function run<T>(
  db: Pool | PoolClient,
  statement: SqlStatement | string,
  values: unknown[],
  prepared: boolean,
): Promise<T[]> {
  const result =
    typeof statement === 'string'
      ? await db.query<QueryResultRow>(statement, values)
      : await db.query<QueryResultRow>(
          prepared && statement.replan !== true
            ? { name: statement.name, text: statement.text, values }
            : { text: statement.text, values },
        );
  return result.rows as T[];
}
