// Multi-row inserts for any table: one JSON parameter through json_to_recordset, instead of drizzle's per-value builder (which blocked the event loop ~0.3 ms a row).
import { getTableColumns, sql, type SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db } from './db.js';

const SERIAL: Record<string, string> = { bigserial: 'bigint', serial: 'integer', smallserial: 'smallint' };

/** Inserts rows keyed by the table's TS property names; columns no row sets keep their defaults. */
export async function insertJsonRows(db: Db, table: PgTable, rows: ReadonlyArray<Record<string, unknown>>, suffix: SQL = sql``): Promise<void> {
  if (!rows.length) return;
  const all = Object.entries(getTableColumns(table)).map(([key, col]) => ({ key, name: `"${col.name}"`, type: SERIAL[col.getSQLType()] ?? col.getSQLType() }));
  const cols = all.filter((c) => rows.some((r) => r[c.key] !== undefined));
  // The rows as they are: json_to_recordset reads only the listed columns, and a key left out (undefined) is NULL.
  const json = JSON.stringify(rows);
  const names = sql.raw(cols.map((c) => c.name).join(', '));
  const defs = sql.raw(cols.map((c) => `"${c.key}" ${c.type}`).join(', '));
  const picks = sql.raw(cols.map((c) => `r."${c.key}"`).join(', '));
  await db.execute(sql`insert into ${table} (${names}) select ${picks} from json_to_recordset(${json}::json) as r(${defs}) ${suffix}`);
}
