// Row parity: counts request_log rows of one bench key, in Postgres (DATABASE_URL) or in a PGlite dir after shutdown.
import postgres from 'postgres';

export async function postgresReachable(url: string): Promise<boolean> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`select 1`;
    return true;
  } catch {
    return false;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export async function countRows(o: { databaseUrl?: string; dataDir: string; keyId: string }): Promise<number> {
  if (o.databaseUrl) {
    const sql = postgres(o.databaseUrl, { max: 1, onnotice: () => {} });
    try {
      const [row] = await sql<{ n: number }[]>`select count(*)::int as n from request_log where key_id = ${o.keyId}`;
      return row?.n ?? 0;
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
  const { PGlite } = await import('@electric-sql/pglite');
  const db = await PGlite.create(o.dataDir);
  try {
    const r = await db.query<{ n: number }>('select count(*)::int as n from request_log where key_id = $1', [o.keyId]);
    return r.rows[0]?.n ?? 0;
  } finally {
    await db.close();
  }
}
