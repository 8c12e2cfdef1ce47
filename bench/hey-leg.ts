// `npx tsx bench/hey-leg.ts [on|off] [seconds]`: one gateway leg beside the mock, measured with hey (closed loop c=32 and sequential c=1).
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { postgresReachable } from './lib/db-count.js';
import { writeGatewayConfig, type ModeName } from './lib/gateway-config.js';
import { hey, type HeyResult } from './lib/hey.js';
import { targets } from './lib/legs.js';
import { freePort, killAll, pinSelf, rssMb } from './lib/proc.js';
import { buildGateway, CLIENT_CPU, startGateway, startMock, TMP } from './lib/servers.js';
import { S } from './lib/settings.js';

const line = (r: HeyResult) => `rps ${r.rps} p50 ${r.p50.toFixed(2)} ms p99 ${r.p99.toFixed(2)} ms ok ${r.ok} non2xx ${r.non2xx} errors ${r.errors}`;

async function main(): Promise<void> {
  const mode = (process.argv[2] ?? 'on') as ModeName;
  const seconds = Number(process.argv[3] ?? 8);
  pinSelf(CLIENT_CPU);
  mkdirSync(TMP, { recursive: true });
  if (S.runner === 'compiled' && !buildGateway().ok) S.runner = 'tsx';
  const databaseUrl = (await postgresReachable(S.databaseUrl)) ? S.databaseUrl : undefined;
  const mock = await startMock('mock-upstream');
  try {
    const direct = targets(mock.origin, '/v1/chat/completions', 'gpt-4o-mini', {}).chat;
    process.stdout.write(`direct c=1: ${line(await hey(direct, ['-c', '1', '-n', '3000']))}\n`);
    const port = await freePort();
    const cfg = writeGatewayConfig({ dir: TMP, mode, port, mockPort: mock.port, mcpPort: null, runId: `hey${Date.now()}` });
    const gw = await startGateway({ runner: S.runner, port, configPath: cfg.path, databaseUrl, redisUrl: mode === 'on' ? S.redisUrl : undefined, dataDir: resolve(TMP, 'pglite-hey') });
    const t = targets(gw.origin, '/v1/chat/completions', 'up/gpt-4o-mini', cfg.key ? { authorization: `Bearer ${cfg.key}` } : {}).chat;
    process.stdout.write(`idle rss ${rssMb(gw.proc.pid)?.toFixed(0)} MB\n`);
    await hey(t, ['-c', '8', '-z', '3s']);
    process.stdout.write(`${mode} c=1: ${line(await hey(t, ['-c', '1', '-n', '3000']))}\n`);
    process.stdout.write(`${mode} c=32: ${line(await hey(t, ['-c', '32', '-z', `${seconds}s`]))}\n`);
    process.stdout.write(`rss after ${rssMb(gw.proc.pid)?.toFixed(0)} MB\n`);
    await gw.proc.stop(30_000);
  } finally {
    await mock.proc.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[hey-leg] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    killAll();
    process.exit(1);
  },
);
