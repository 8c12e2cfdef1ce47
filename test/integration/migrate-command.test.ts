// `gateway migrate`: applies the migrations to DATABASE_URL and exits (the Helm chart's migration Job), refusing without one.
import { spawnSync } from 'node:child_process';
import postgres from 'postgres';
import { describe, expect, it } from 'vitest';

const MAIN = new URL('../../src/main.ts', import.meta.url).pathname;
const run = (env: Record<string, string>) =>
  spawnSync(process.execPath, ['--import', 'tsx', MAIN, 'migrate'], { env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env }, encoding: 'utf8', timeout: 60_000 });

describe('gateway migrate', () => {
  it('refuses without DATABASE_URL (exit 64), naming what is missing', () => {
    const r = run({});
    expect(r.status).toBe(64);
    expect(r.stderr).toContain('DATABASE_URL');
  });

  it.skipIf(!process.env.DATABASE_URL)('migrates the database and exits 0', async () => {
    const url = process.env.DATABASE_URL!;
    const r = run({ DATABASE_URL: url });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    try {
      const rows = await sql`select count(*)::int as n from drizzle.__drizzle_migrations`;
      expect(rows[0]!.n).toBeGreaterThanOrEqual(11);
      const cols = await sql`select column_name from information_schema.columns where table_name = 'request_log' and column_name = 'cache'`;
      expect(cols).toHaveLength(1);
    } finally {
      await sql.end();
    }
  });
});
