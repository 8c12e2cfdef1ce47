// The database's own reason for an error: drizzle wraps driver errors in a message that repeats the query and its parameters
// (client data), which must not reach logs, dead-letter reasons or audit rows.
export function dbErrorReason(err: unknown): string {
  let e: unknown = err;
  for (let i = 0; i < 5 && e instanceof Error && e.cause instanceof Error; i++) e = e.cause;
  if (!(e instanceof Error)) return String(e).slice(0, 300);
  if (/^Failed query:/.test(e.message)) return 'query failed';
  const code = (e as { code?: unknown }).code;
  return `${typeof code === 'string' ? `${code}: ` : ''}${e.message}`.slice(0, 300);
}

/**
 * Whether the database refused the data itself rather than failing to take it: SQLSTATE classes 22 (data exception),
 * 23 (integrity constraint) and 54 (program limit, e.g. nesting too deep), or a serialisation error thrown before sending.
 * Anything else (connection lost, disk full, read-only, timeouts) is an outage: the rows wait and are retried.
 */
export function isRefusal(err: unknown): boolean {
  let e: unknown = err;
  for (let i = 0; i < 6 && e; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code)) return /^(22|23|54)/.test(code);
    if (e instanceof RangeError || e instanceof TypeError) return true;
    e = e instanceof Error ? e.cause : undefined;
  }
  return false;
}
