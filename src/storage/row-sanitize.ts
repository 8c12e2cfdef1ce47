// Makes a row safe for its table, column by column, so the database never refuses a row for what a client put in it.
import { getTableColumns } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { storableSync, storableText } from './storable.js';

const INT32 = 2_147_483_647;
/** Text columns are ids, names and reasons; long free text belongs in payloads. */
const TEXT_MAX = 1024;
const LONG_TEXT_MAX = 8192;
const JSON_LIMITS = { maxDepth: 16, maxBytes: 16 * 1024 };

type Clean = (v: unknown) => unknown;

const clampInt = (max: number, notNull: boolean): Clean => (v) => {
  if (typeof v !== 'number') return v;
  if (!Number.isFinite(v)) return notNull ? 0 : null;
  return Math.max(-max, Math.min(max, Math.round(v)));
};

const text = (max: number): Clean => (v) => (typeof v === 'string' ? storableText(v, max) : v);

function cleanerFor(sqlType: string, notNull: boolean, long: boolean): Clean | null {
  if (sqlType === 'text') return text(long ? LONG_TEXT_MAX : TEXT_MAX);
  if (sqlType === 'integer' || sqlType === 'serial') return clampInt(INT32, notNull);
  if (sqlType === 'bigint' || sqlType === 'bigserial') return clampInt(Number.MAX_SAFE_INTEGER, notNull);
  if (sqlType === 'jsonb' || sqlType === 'json') return (v) => (v === null || v === undefined ? v : storableSync(v, JSON_LIMITS).value);
  return null;
}

/**
 * Returns a function that cleans rows of `table`: text well-formed, NUL-free and bounded, integers clamped to the column's
 * range, small jsonb columns bounded. Payload columns that are hashed at flush time are left to the writer (`skip`).
 */
export function rowSanitizer<T extends object>(table: PgTable, opts: { longText?: string[]; skip?: string[] } = {}): (row: T) => T {
  const longText = new Set(opts.longText ?? []);
  const skip = new Set(opts.skip ?? []);
  const cleaners: Array<[string, Clean]> = [];
  for (const [key, col] of Object.entries(getTableColumns(table))) {
    if (skip.has(key)) continue;
    const c = cleanerFor(col.getSQLType(), col.notNull, longText.has(key));
    if (c) cleaners.push([key, c]);
  }
  return (row) => {
    const out = { ...row } as Record<string, unknown>;
    for (const [key, clean] of cleaners) if (out[key] !== undefined) out[key] = clean(out[key]);
    return out as T;
  };
}
