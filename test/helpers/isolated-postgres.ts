// Each test file gets a Postgres database of its own (when DATABASE_URL is set): keys one file creates close every gateway
// on that database, so files must not share one; it is dropped when the file ends.
import postgres from 'postgres';
import { afterAll } from 'vitest';

const base = process.env.DATABASE_URL;
if (base) {
  const name = `gw_test_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = postgres(base, { max: 1, onnotice: () => {} });
  // Two workers creating databases at once may meet on template1: retry a few times.
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.unsafe(`create database "${name}"`);
      break;
    } catch (err) {
      if (attempt >= 5) throw err;
      await new Promise((r) => setTimeout(r, 200 * (attempt + 1)));
    }
  }
  const url = new URL(base);
  url.pathname = `/${name}`;
  process.env.DATABASE_URL = url.href;
  afterAll(async () => {
    await admin.unsafe(`drop database if exists "${name}" with (force)`).catch(() => undefined);
    await admin.end();
  });
}
