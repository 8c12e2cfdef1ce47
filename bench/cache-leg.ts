// `npx tsx bench/cache-leg.ts [seconds]`: what a cache hit costs next to a call the provider answers, gateway as users run it (keys, budget, PII, Redis, trails, metrics), measured with hey.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse, stringify } from 'yaml';
import { postgresReachable } from './lib/db-count.js';
import { writeGatewayConfig } from './lib/gateway-config.js';
import { hey, type HeyResult } from './lib/hey.js';
import { targets } from './lib/legs.js';
import { freePort, killAll, pinSelf } from './lib/proc.js';
import { buildGateway, CLIENT_CPU, ROOT, startGateway, startMock, TMP } from './lib/servers.js';
import { S } from './lib/settings.js';

const row = (leg: string, r: HeyResult) => `| ${leg} | \`hey ${r.args}\` | ${r.rps} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${r.ok} | ${r.non2xx + r.errors} |`;

async function main(): Promise<void> {
  const seconds = Number(process.argv[2] ?? 8);
  pinSelf(CLIENT_CPU);
  mkdirSync(TMP, { recursive: true });
  if (S.runner === 'compiled' && !buildGateway().ok) S.runner = 'tsx';
  const databaseUrl = (await postgresReachable(S.databaseUrl)) ? S.databaseUrl : undefined;
  const mock = await startMock('mock-upstream');
  const rows: string[] = [];
  try {
    const direct = targets(mock.origin, '/v1/chat/completions', 'gpt-4o-mini', {}).chat;
    rows.push(row('direct to the mock upstream', await hey(direct, ['-c', '1', '-n', '3000'])));
    const port = await freePort();
    const cfg = writeGatewayConfig({ dir: TMP, mode: 'on', port, mockPort: mock.port, mcpPort: null, runId: `cache${Date.now()}` });
    // The bench's chat body sets no temperature: sampled answers are cached only with nonDeterministic.
    const yaml = parse(readFileSync(cfg.path, 'utf8')) as Record<string, unknown>;
    writeFileSync(cfg.path, stringify({ ...yaml, cache: { enabled: true, nonDeterministic: true } }));
    const gw = await startGateway({ runner: S.runner, port, configPath: cfg.path, databaseUrl, redisUrl: S.redisUrl, dataDir: resolve(TMP, 'pglite-cache') });
    const auth = { authorization: `Bearer ${cfg.key}` };
    const miss = targets(gw.origin, '/v1/chat/completions', 'up/gpt-4o-mini', { ...auth, 'cache-control': 'no-store' }).chat;
    const hit = targets(gw.origin, '/v1/chat/completions', 'up/gpt-4o-mini', auth).chat;
    await hey(miss, ['-c', '8', '-z', '3s']);
    await hey(hit, ['-c', '8', '-z', '3s']);
    rows.push(row('gateway, provider called (`cache-control: no-store`)', await hey(miss, ['-c', '1', '-n', '3000'])));
    rows.push(row('gateway, cache hit', await hey(hit, ['-c', '1', '-n', '3000'])));
    rows.push(row('gateway, provider called, c=32', await hey(miss, ['-c', '32', '-z', `${seconds}s`])));
    rows.push(row('gateway, cache hit, c=32', await hey(hit, ['-c', '32', '-z', `${seconds}s`])));
    await gw.proc.stop(30_000);
  } finally {
    await mock.proc.stop();
  }
  const md = [
    '# Cache hits (bench/cache-leg.ts)',
    '',
    `Command: \`npx tsx bench/cache-leg.ts ${seconds}\` on ${new Date().toISOString()}; gateway pinned to CPU 0, mock and hey to CPU 1; ${S.runner} build;`,
    `gateway as users run it (virtual key with a budget and rate limits, PII redact, Redis ${S.redisUrl ? 'on' : 'off'}, request log and audit trail to ${databaseUrl ? 'Postgres' : 'PGlite'}, metrics), with \`cache: { enabled: true, nonDeterministic: true }\`.`,
    'The mock upstream answers in well under a millisecond, so "provider called" is the gateway\'s own cost plus a loopback call; a real provider adds hundreds of milliseconds that a hit saves.',
    '',
    '| leg | command | rps | p50 ms | p99 ms | ok | failed |',
    '|---|---|---|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
  writeFileSync(resolve(ROOT, 'bench/CACHE.md'), md);
  process.stdout.write(md);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[cache-leg] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    killAll();
    process.exit(1);
  },
);
