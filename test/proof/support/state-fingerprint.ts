import type { DataSource } from 'typeorm';

/**
 * A digest of every application table's rows (not only their counts: an UPDATE shows too), so a
 * suite can say "nothing changed". The migrations table is left out.
 */
export async function tableFingerprint(db: DataSource): Promise<Record<string, string>> {
  const tables = (await db.query(
    `SELECT table_name FROM information_schema.tables
     WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'migrations'
     ORDER BY table_name`,
  )) as { table_name: string }[];
  if (tables.length === 0) return {};
  const sql = tables
    .map(
      ({ table_name }) =>
        `SELECT '${table_name}' AS t, count(*)::int AS n, ` +
        `md5(coalesce(string_agg(x::text, '|' ORDER BY x::text), '')) AS h FROM "${table_name}" x`,
    )
    .join(' UNION ALL ');
  const rows = (await db.query(sql)) as { t: string; n: number; h: string }[];
  return Object.fromEntries(rows.map((r) => [r.t, `${r.n}:${r.h}`]));
}
