// `npx tsx bench/semantic-rss.ts [reps]`: resident memory of embedded PGlite with and without pgvector, idle and after semantic lookups.
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createSemanticIndex } from '../src/cache/semantic-index.js';
import { createLogger } from '../src/log.js';
import type { Db } from '../src/storage/db.js';
import { initialiseDataDir, pgliteStartParams } from '../src/storage/pglite-boot.js';
import * as schema from '../src/storage/schema.js';

/**
 * Each mode runs in a fresh process on a copy of a migrated data directory, opened as src/storage/db.ts opens it
 * (same start parameters, migrations re-checked), then measured after three forced GCs.
 */
export const RSS_MODES = {
  none: 'no extension; index detects no pgvector (scan)',
  loaded: 'extension bundle given to PGlite, never created (a gateway without a semantic cache)',
  first: 'extension given, created by the index (first start after the upgrade)',
  again: 'extension given and already created; index detects it (later starts)',
  'scan-used': 'no extension; 500 adds + 50 lookups by scan (256 dims)',
  'pgvector-used': 'extension already created; 500 adds + 50 lookups by pgvector (256 dims)',
} as const;
export type RssMode = keyof typeof RSS_MODES;

const migrationsFolder = fileURLToPath(new URL('../drizzle', import.meta.url));
const vectorOf = (seed: number): number[] => Array.from({ length: 256 }, (_, i) => Math.sin(seed * 7.3 + i * 0.91));

async function child(mode: RssMode, dataDir: string): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with --expose-gc');
  const { PGlite } = await import('@electric-sql/pglite');
  const { vector } = await import('@electric-sql/pglite-pgvector');
  const { drizzle } = await import('drizzle-orm/pglite');
  const { migrate } = await import('drizzle-orm/pglite/migrator');
  const withVector = mode !== 'none' && mode !== 'scan-used';
  const client = await PGlite.create(dataDir, { startParams: [...pgliteStartParams], ...(withVector ? { extensions: { vector } } : {}) });
  await migrate(drizzle(client, { schema }), { migrationsFolder });
  const db = drizzle(client, { schema }) as unknown as Db;
  let method = '-';
  if (mode !== 'loaded') {
    const index = await createSemanticIndex({ db, logger: createLogger('silent') });
    method = index.method;
    if (mode.endsWith('-used')) {
      const where = { scope: 'key:k1', contextHash: 'ctx', embeddingModel: 'm' };
      for (let i = 0; i < 500; i++) await index.add(where, vectorOf(i), `e${i}`, new Date(Date.now() + 3_600_000));
      for (let i = 0; i < 50; i++) await index.nearest(where, vectorOf(i + 0.5), 0);
    }
  }
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 300));
  }
  const anon = /^Anonymous:\s+(\d+)/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))?.[1];
  const mb = (b: number) => Math.round((b / 2 ** 20) * 10) / 10;
  process.stdout.write(JSON.stringify({ mode, method, rssMb: mb(process.memoryUsage().rss), anonMb: anon ? mb(Number(anon) * 1024) : null }));
  await client.close();
}

export interface RssRow {
  mode: RssMode;
  method: string;
  rssMb: number[];
  anonMb: number[];
}

/** Runs every mode `reps` times, interleaved so drifting machine load spreads over all of them. */
export async function measureRss(reps: number): Promise<RssRow[]> {
  const tmp = mkdtempSync(join(tmpdir(), 'gw-sem-rss-'));
  try {
    const plain = join(tmp, 'plain');
    await initialiseDataDir(plain, migrationsFolder);
    const withExt = join(tmp, 'with-ext');
    cpSync(plain, withExt, { recursive: true });
    await run('first', withExt); // leaves the extension created in with-ext
    const rows = new Map<RssMode, RssRow>();
    for (let r = 0; r < reps; r++) {
      for (const mode of Object.keys(RSS_MODES) as RssMode[]) {
        const dir = join(tmp, 'run');
        rmSync(dir, { recursive: true, force: true });
        cpSync(mode === 'again' || mode === 'pgvector-used' ? withExt : plain, dir, { recursive: true });
        const out = await run(mode, dir);
        const row = rows.get(mode) ?? { mode, method: out.method, rssMb: [], anonMb: [] };
        row.rssMb.push(out.rssMb);
        if (out.anonMb !== null) row.anonMb.push(out.anonMb);
        rows.set(mode, row);
      }
    }
    return [...rows.values()];
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

async function run(mode: RssMode, dir: string): Promise<{ method: string; rssMb: number; anonMb: number | null }> {
  const self = fileURLToPath(import.meta.url);
  const { stdout } = await promisify(execFile)(process.execPath, ['--expose-gc', '--import', 'tsx', self, '--child', mode, dir]);
  return JSON.parse(stdout) as { method: string; rssMb: number; anonMb: number | null };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? ((s[(s.length - 1) >> 1] as number) + (s[s.length >> 1] as number)) / 2 : NaN;
};

export function rssTable(rows: RssRow[]): string {
  const base = median(rows.find((r) => r.mode === 'none')?.rssMb ?? []);
  const lines = ['| mode | index method | RSS MB median (min–max) | vs none | anonymous MB median |', '|---|---|---:|---:|---:|'];
  for (const r of rows) {
    const m = median(r.rssMb);
    const range = `${Math.min(...r.rssMb)}–${Math.max(...r.rssMb)}`;
    lines.push(`| ${r.mode}: ${RSS_MODES[r.mode]} | ${r.method} | ${m.toFixed(1)} (${range}) | ${(m - base >= 0 ? '+' : '') + (m - base).toFixed(1)} | ${median(r.anonMb).toFixed(1)} |`);
  }
  return lines.join('\n');
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] as RssMode, process.argv[4] as string);
} else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const reps = Number(process.argv[2] ?? 5);
  console.log(rssTable(await measureRss(reps)));
}
