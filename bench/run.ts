// `npm run bench`: direct vs gateway (on/off) vs Portkey at fixed rates, streaming, MCP, memory, row parity → RESULTS.md + results.json.
import { mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { countRows, postgresReachable } from './lib/db-count.js';
import { MODES, writeGatewayConfig, type ModeName } from './lib/gateway-config.js';
import { machineInfo } from './lib/machine.js';
import type { Target } from './lib/open-loop.js';
import { freePort, hasTaskset, killAll, pinSelf, rssMb, sleep } from './lib/proc.js';
import { analyse, writeReports, type BenchResults, type LegResults } from './lib/report.js';
import * as sc from './lib/scenarios.js';
import { buildGateway, CLIENT_CPU, startGateway, startMock, startPortkey, TMP, type Running } from './lib/servers.js';
import { S } from './lib/settings.js';
import { round } from './lib/stats.js';

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const CHAT = { messages: [{ role: 'user', content: 'Say hello in one short sentence.' }], max_tokens: 32 };

function targets(origin: string, path: string, model: string, headers: Record<string, string>) {
  const chat: Target = { origin, path, headers, body: JSON.stringify({ model, ...CHAT }) };
  const stream: Target = { ...chat, body: JSON.stringify({ model, ...CHAT, stream: true, stream_options: { include_usage: true } }) };
  return { chat, stream };
}

/** Samples a process's RSS each second until stopped. */
function rssSampler(pid: number): () => number[] {
  const v: number[] = [];
  const t = setInterval(() => {
    const r = rssMb(pid);
    if (r !== null) v.push(r);
  }, 1000);
  return () => (clearInterval(t), v);
}

async function gatewayLeg(mode: ModeName, ctx: { mockPort: number; mcpPort: number; runId: string; databaseUrl?: string; dataDir: string }): Promise<LegResults> {
  const port = await freePort();
  const cfg = writeGatewayConfig({ dir: TMP, mode, port, mockPort: ctx.mockPort, mcpPort: ctx.mcpPort, runId: ctx.runId });
  const auth: Record<string, string> = cfg.key ? { authorization: `Bearer ${cfg.key}` } : {};
  let gw: Running | null = null;
  const leg: LegResults = { name: `gateway-${mode}`, description: MODES[mode].description, notes: [...cfg.notes], rates: {} };
  try {
    gw = await startGateway({ runner: S.runner, port, configPath: cfg.path, databaseUrl: ctx.databaseUrl, dataDir: ctx.dataDir });
    await sleep(1000);
    const mem = sc.emptyMemory(gw.proc.pid);
    const served: sc.Served = { answered: 0, clientErrors: 0 };
    const t = targets(gw.origin, '/v1/chat/completions', 'up/gpt-4o-mini', auth);
    const stopRss = rssSampler(gw.proc.pid);
    leg.rates = await sc.rates(leg.name, t.chat, served);
    const during = stopRss();
    mem.afterWarmupMb = during.length ? round(during[0]!, 1) : null;
    leg.streaming = await sc.streaming(leg.name, t.stream, served);
    leg.mcp = cfg.mcpTool ? await sc.mcp(leg.name, `${gw.origin}/mcp`, auth, cfg.mcpTool, served) : { skipped: 'gateway config has no mcpServers' };
    if (mode === 'on') {
      leg.sustained = await sc.sustained(leg.name, t.chat, gw.proc.pid, mem, served);
      leg.ramp = {};
      for (const rate of S.ramp) {
        const d = await sc.load('direct ramp', targets(`http://127.0.0.1:${ctx.mockPort}`, '/v1/chat/completions', 'gpt-4o-mini', {}).chat, rate, S.rampS);
        const g = await sc.load(`${leg.name} ramp`, t.chat, rate, S.rampS, served);
        leg.ramp[rate] = { direct: d, leg: g };
        if (g.latency.p99 - d.latency.p99 >= S.p99BudgetMs || g.rps < rate * 0.95) break;
      }
    } else {
      mem.underLoadMaxMb = during.length ? round(Math.max(...during), 1) : null;
      mem.underLoadMeanMb = during.length ? round(during.reduce((a, b) => a + b, 0) / during.length, 1) : null;
      await sleep(S.sustain.afterS * 1000);
      mem.afterLoadMb = round(rssMb(gw.proc.pid) ?? NaN, 1);
    }
    leg.memory = mem;
    const code = await gw.proc.stop(30_000);
    gw = null;
    if (cfg.keyId) {
      const rows = await countRows({ databaseUrl: ctx.databaseUrl, dataDir: ctx.dataDir, keyId: cfg.keyId });
      leg.parity = { rows, answered: served.answered, clientErrors: served.clientErrors, equal: rows === served.answered, consistent: rows >= served.answered && rows <= served.answered + served.clientErrors, exitCode: code };
      log(`${leg.name} parity: ${rows} rows for ${served.answered} answered requests (${served.clientErrors} client errors)`);
    }
  } finally {
    await gw?.proc.stop();
  }
  return leg;
}

async function portkeyLeg(mockPort: number): Promise<LegResults> {
  const leg: LegResults = { name: 'portkey', description: '@portkey-ai/gateway 1.15.2 (node build/start-server.js), x-portkey-custom-host → mock', notes: [], rates: {} };
  let pk: Running | null = null;
  try {
    pk = await startPortkey();
    await sleep(1000);
    const mem = sc.emptyMemory(pk.proc.pid);
    const headers = { authorization: 'Bearer sk-upstream-bench', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `http://127.0.0.1:${mockPort}/v1` };
    const t = targets(pk.origin, '/v1/chat/completions', 'gpt-4o-mini', headers);
    const stopRss = rssSampler(pk.proc.pid);
    leg.rates = await sc.rates(leg.name, t.chat);
    const during = stopRss();
    mem.afterWarmupMb = during.length ? round(during[0]!, 1) : null;
    mem.underLoadMaxMb = during.length ? round(Math.max(...during), 1) : null;
    mem.underLoadMeanMb = during.length ? round(during.reduce((a, b) => a + b, 0) / during.length, 1) : null;
    leg.streaming = await sc.streaming(leg.name, t.stream);
    leg.mcp = { skipped: 'Portkey OSS has no MCP hub' };
    await sleep(S.sustain.afterS * 1000);
    mem.afterLoadMb = round(rssMb(pk.proc.pid) ?? NaN, 1);
    leg.memory = mem;
  } finally {
    await pk?.proc.stop();
  }
  return leg;
}

async function main(): Promise<void> {
  const started = new Date();
  mkdirSync(TMP, { recursive: true });
  const pinned = pinSelf(CLIENT_CPU);
  const runId = started.toISOString().replace(/[-:.TZ]/g, '').slice(0, 14);
  const notes: string[] = [];
  const machineStart = machineInfo();
  if (S.runner === 'compiled') {
    const b = buildGateway();
    if (!b.ok) {
      notes.push(`build failed, ran the gateway with tsx instead: ${b.log.slice(0, 300)}`);
      S.runner = 'tsx';
    } else if (b.log) notes.push(`tsc reported (output still emitted): ${b.log.split('\n').slice(0, 3).join(' | ')}`);
  }
  const databaseUrl = (await postgresReachable(S.databaseUrl)) ? S.databaseUrl : undefined;
  const dataDir = resolve(TMP, `pglite-${runId}`);
  if (!databaseUrl) notes.push(`Postgres at ${S.databaseUrl} unreachable: PGlite in ${dataDir}`);
  log(`runner ${S.runner}, taskset ${hasTaskset} (self pinned: ${pinned}), db ${databaseUrl ? 'postgres' : 'pglite'}, quick ${S.quick}`);

  const mock = await startMock('mock-upstream', {
    MOCK_LATENCY_MS: String(S.upstreamMs),
    MOCK_TTFT_MS: String(S.stream.ttftMs),
    MOCK_CHUNKS: String(S.stream.chunks),
    MOCK_CHUNK_MS: String(S.stream.chunkMs),
  });
  const mcpMock = await startMock('mock-mcp');
  const legs: LegResults[] = [];
  try {
    const direct: LegResults = { name: 'direct', description: 'load generator → mock upstream', notes: [], rates: {} };
    const dt = targets(mock.origin, '/v1/chat/completions', 'gpt-4o-mini', {});
    direct.rates = await sc.rates('direct', dt.chat);
    direct.streaming = await sc.streaming('direct', dt.stream);
    direct.mcp = await sc.mcp('direct', `${mcpMock.origin}/mcp`, {}, 'echo');
    legs.push(direct);
    const ctx = { mockPort: mock.port, mcpPort: mcpMock.port, runId, databaseUrl, dataDir };
    legs.push(await gatewayLeg('on', ctx));
    legs.push(await gatewayLeg('off', ctx));
    legs.push(await portkeyLeg(mock.port));
  } finally {
    await mock.proc.stop();
    await mcpMock.proc.stop();
    if (!databaseUrl) rmSync(dataDir, { recursive: true, force: true });
  }
  const results: BenchResults = {
    meta: {
      date: started.toISOString(),
      command: `${S.quick ? 'BENCH_QUICK=1 ' : ''}npm run bench`,
      durationS: Math.round((Date.now() - started.getTime()) / 1000),
      machine: { ...machineStart, loadavgEnd: machineInfo().loadavgStart },
      settings: { ...S, databaseUrl: databaseUrl ? S.databaseUrl.replace(/\/\/[^@]*@/, '//…@') : 'pglite' },
      pinning: hasTaskset ? `gateway/peer on CPU 0; mock upstreams + load generator on CPU 1 (self pinned: ${pinned})` : 'taskset missing: no pinning',
      loadGenerator: 'bench/lib/open-loop.ts: fixed-schedule open loop over an undici Pool (µs timing)',
      notes,
    },
    legs,
    analysis: analyse(legs),
  };
  writeReports(results);
  log(`wrote bench/RESULTS.md and bench/results.json in ${results.meta.durationS} s`);
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`[bench] failed: ${err instanceof Error ? err.stack : String(err)}\n`);
    killAll();
    process.exit(1);
  },
);
