// `npx tsx bench/profile.ts [on|off] [rate] [seconds]`: gateway under fixed-rate load with --cpu-prof, then the top self-time functions.
import { mkdirSync, readdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { summariseProfile } from './lib/cpuprofile.js';
import { postgresReachable } from './lib/db-count.js';
import { writeGatewayConfig, type ModeName } from './lib/gateway-config.js';
import { openLoop, type Target } from './lib/open-loop.js';
import { freePort, killAll, pinSelf } from './lib/proc.js';
import { buildGateway, CLIENT_CPU, startGateway, startMock, TMP } from './lib/servers.js';
import { S } from './lib/settings.js';
import { summarize } from './lib/stats.js';

async function main(): Promise<void> {
  const mode = (process.argv[2] ?? 'on') as ModeName;
  const rate = Number(process.argv[3] ?? 1000);
  const seconds = Number(process.argv[4] ?? 15);
  pinSelf(CLIENT_CPU);
  const dir = resolve(TMP, 'profiles');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  if (S.runner === 'compiled' && !buildGateway().ok) S.runner = 'tsx';
  const databaseUrl = (await postgresReachable(S.databaseUrl)) ? S.databaseUrl : undefined;
  const mock = await startMock('mock-upstream');
  try {
    const port = await freePort();
    const cfg = writeGatewayConfig({ dir: TMP, mode, port, mockPort: mock.port, mcpPort: null, runId: `prof${Date.now()}` });
    const gw = await startGateway({ runner: S.runner, port, configPath: cfg.path, databaseUrl, redisUrl: mode === 'on' ? S.redisUrl : undefined, dataDir: resolve(TMP, 'pglite-profile'), cpuProfDir: dir });
    const target: Target = {
      origin: gw.origin,
      path: '/v1/chat/completions',
      headers: cfg.key ? { authorization: `Bearer ${cfg.key}` } : {},
      body: JSON.stringify({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'Say hello in one short sentence.' }], max_tokens: 32 }),
    };
    await openLoop(target, 500, 3);
    const r = await openLoop(target, rate, seconds);
    const s = summarize(r.latencies);
    process.stdout.write(`load: ${r.rps.toFixed(0)} rps of ${rate}, p50 ${s.p50.toFixed(2)} p99 ${s.p99.toFixed(2)} ms, errors ${r.errors}\n`);
    await gw.proc.stop(30_000);
  } finally {
    await mock.proc.stop();
  }
  const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
  if (!file) throw new Error('no .cpuprofile written');
  const sum = summariseProfile(resolve(dir, file));
  process.stdout.write(`\nprofile ${file}: ${sum.totalMs} ms sampled (mode ${mode}, runner ${S.runner})\n\nself time by area:\n`);
  for (const a of sum.byArea.slice(0, 15)) process.stdout.write(`  ${a.pct.toFixed(1).padStart(5)}%  ${a.selfMs.toString().padStart(6)} ms  ${a.area}\n`);
  process.stdout.write('\ntop functions by self time:\n');
  for (const f of sum.top) process.stdout.write(`  ${f.pct.toFixed(1).padStart(5)}%  ${f.selfMs.toString().padStart(6)} ms  ${f.fn}  ${f.where}\n`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[profile] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    killAll();
    process.exit(1);
  },
);
