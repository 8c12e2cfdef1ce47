// The bench's legs: direct, the bare-Node floor, the gateway in a mode, Portkey, and the embedded default's memory.
import { mkdtempSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import { countRows } from './db-count.js';
import { MODES, writeGatewayConfig, type ModeName } from './gateway-config.js';
import { hasHey, hey } from './hey.js';
import type { Target } from './open-loop.js';
import { freePort, rssMb, sleep } from './proc.js';
import type { LegResults } from './report.js';
import * as sc from './scenarios.js';
import { startFloor, startGateway, startPortkey, TMP, type Running } from './servers.js';
import { S } from './settings.js';
import { round } from './stats.js';

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);
const CHAT = { messages: [{ role: 'user', content: 'Say hello in one short sentence.' }], max_tokens: 32 };

export function targets(origin: string, path: string, model: string, headers: Record<string, string>): { chat: Target; stream: Target } {
  const chat: Target = { origin, path, headers, body: JSON.stringify({ model, ...CHAT }) };
  const stream: Target = { ...chat, body: JSON.stringify({ model, ...CHAT, stream: true, stream_options: { include_usage: true } }) };
  return { chat, stream };
}

export interface LegContext {
  mock: Running;
  mcpMock: Running;
  runId: string;
  databaseUrl?: string;
  dataDir: string;
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

/**
 * The chat scenarios every leg runs, in this order: warm-up, hey sequential, hey closed loop, then the open-loop matrix.
 * The matrix's top rates overload the slower legs and leave backlogs behind, so it goes last.
 */
async function chatScenarios(leg: LegResults, t: Target, pid: number | null, served?: sc.Served): Promise<void> {
  const mem = pid === null ? null : sc.emptyMemory(pid);
  await sc.warm(leg.name, t, served);
  if (mem) mem.afterWarmupMb = round(rssMb(pid!) ?? NaN, 1);
  const stopRss = pid === null ? () => [] : rssSampler(pid);
  if (hasHey) {
    leg.sequential = await sc.heyRun(leg.name, 'sequential', t, served);
    leg.closedLoop = await sc.heyRun(leg.name, 'closed', t, served);
    await sleep(1000);
  } else leg.notes.push('hey not installed: no closed-loop or sequential figures');
  leg.rates = await sc.rates(leg.name, t, served);
  const during = stopRss();
  if (mem && during.length) {
    mem.underLoadMaxMb = round(Math.max(...during), 1);
    mem.underLoadMeanMb = round(during.reduce((a, b) => a + b, 0) / during.length, 1);
  }
  if (mem) leg.memory = mem;
}

async function settleAndRecordAfterLoad(leg: LegResults, pid: number): Promise<void> {
  await sleep(S.sustain.afterS * 1000);
  if (leg.memory) leg.memory.afterLoadMb = round(rssMb(pid) ?? NaN, 1);
}

export async function directLeg(ctx: LegContext): Promise<LegResults> {
  const leg: LegResults = { name: 'direct', description: 'load generator → mock upstream', notes: [], rates: {} };
  const t = targets(ctx.mock.origin, '/v1/chat/completions', 'gpt-4o-mini', {});
  await chatScenarios(leg, t.chat, null);
  leg.streaming = await sc.streaming(leg.name, t.stream);
  leg.mcp = await sc.mcp(leg.name, `${ctx.mcpMock.origin}/mcp`, {}, 'echo');
  return leg;
}

export async function floorLeg(ctx: LegContext): Promise<LegResults> {
  const leg: LegResults = { name: 'floor', description: 'bench/servers/bare-proxy.ts: node:http + undici Pool, JSON parse/stringify of request and answer, nothing else (the least a Node proxy does)', notes: [], rates: {} };
  let floor: Running | null = null;
  try {
    floor = await startFloor(ctx.mock.origin);
    await sleep(500);
    await chatScenarios(leg, targets(floor.origin, '/v1/chat/completions', 'gpt-4o-mini', {}).chat, floor.proc.pid);
    await settleAndRecordAfterLoad(leg, floor.proc.pid);
  } finally {
    await floor?.proc.stop();
  }
  return leg;
}

export async function gatewayLeg(mode: Exclude<ModeName, 'default'>, ctx: LegContext): Promise<LegResults> {
  const port = await freePort();
  const cfg = writeGatewayConfig({ dir: TMP, mode, port, mockPort: ctx.mock.port, mcpPort: ctx.mcpMock.port, runId: ctx.runId });
  const auth: Record<string, string> = cfg.key ? { authorization: `Bearer ${cfg.key}` } : {};
  const leg: LegResults = { name: `gateway-${mode}`, description: MODES[mode].description, notes: [...cfg.notes], rates: {} };
  const redisUrl = mode === 'on' ? S.redisUrl : undefined;
  if (mode === 'on' && !redisUrl) leg.notes.push('BENCH_REDIS=0: limits and budgets in process, no Redis');
  let gw: Running | null = null;
  try {
    gw = await startGateway({ runner: S.runner, port, configPath: cfg.path, databaseUrl: ctx.databaseUrl, redisUrl, dataDir: ctx.dataDir });
    await sleep(1000);
    const served: sc.Served = { answered: 0, clientErrors: 0 };
    const t = targets(gw.origin, '/v1/chat/completions', 'up/gpt-4o-mini', auth);
    await chatScenarios(leg, t.chat, gw.proc.pid, served);
    leg.streaming = await sc.streaming(leg.name, t.stream, served);
    leg.mcp = cfg.mcpTool ? await sc.mcp(leg.name, `${gw.origin}/mcp`, auth, cfg.mcpTool, served) : { skipped: 'gateway config has no mcpServers' };
    if (mode === 'on') await memoryLine(leg, t.chat, gw.proc.pid, served);
    else await settleAndRecordAfterLoad(leg, gw.proc.pid);
    if (mode === 'on') await ramp(leg, t.chat, ctx, served);
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

/** The sustained run at a share of the leg's own closed-loop throughput, with RSS each second (replaces the matrix's memory figures). */
async function memoryLine(leg: LegResults, t: Target, pid: number, served: sc.Served): Promise<void> {
  const measured = leg.closedLoop?.rps;
  const rate = measured && Number.isFinite(measured) ? Math.max(1, Math.round(measured * S.sustain.share)) : S.sustain.fallbackRate;
  leg.sustainedBasis = measured && Number.isFinite(measured) ? `${S.sustain.share * 100} % of ${leg.name}'s closed-loop ${measured} rps` : `no closed-loop figure: fixed ${rate} rps`;
  const mem = sc.emptyMemory(pid);
  mem.idleMb = leg.memory?.idleMb ?? null;
  mem.afterWarmupMb = leg.memory?.afterWarmupMb ?? null;
  leg.sustained = await sc.sustained(leg.name, t, rate, pid, mem, served);
  leg.memory = mem;
}

/** Rates above the matrix while gateway-on's p99 overhead stays under budget and the rate is sustained. */
async function ramp(leg: LegResults, t: Target, ctx: LegContext, served: sc.Served): Promise<void> {
  leg.ramp = {};
  const direct = targets(ctx.mock.origin, '/v1/chat/completions', 'gpt-4o-mini', {}).chat;
  for (const rate of S.ramp) {
    const d = await sc.load('direct ramp', direct, rate, S.rampS);
    const g = await sc.load(`${leg.name} ramp`, t, rate, S.rampS, served);
    leg.ramp[rate] = { direct: d, leg: g };
    if (g.latency.p99 - d.latency.p99 >= S.p99BudgetMs || g.rps < rate * 0.95) break;
  }
}

export async function portkeyLeg(ctx: LegContext): Promise<LegResults> {
  const leg: LegResults = { name: 'portkey', description: '@portkey-ai/gateway 1.15.2 (node build/start-server.js), x-portkey-custom-host → mock', notes: [], rates: {} };
  let pk: Running | null = null;
  try {
    pk = await startPortkey();
    await sleep(1000);
    const headers = { authorization: 'Bearer sk-upstream-bench', 'x-portkey-provider': 'openai', 'x-portkey-custom-host': `${ctx.mock.origin}/v1` };
    const t = targets(pk.origin, '/v1/chat/completions', 'gpt-4o-mini', headers);
    await chatScenarios(leg, t.chat, pk.proc.pid);
    leg.streaming = await sc.streaming(leg.name, t.stream);
    leg.mcp = { skipped: 'Portkey OSS has no MCP hub' };
    await settleAndRecordAfterLoad(leg, pk.proc.pid);
  } finally {
    await pk?.proc.stop();
  }
  return leg;
}

/** The gateway as a first run starts it: embedded PGlite in a fresh data dir, defaults; idle RSS, then RSS after a fixed number of requests. */
export async function embeddedLeg(ctx: LegContext): Promise<LegResults> {
  const port = await freePort();
  const cfg = writeGatewayConfig({ dir: TMP, mode: 'default', port, mockPort: ctx.mock.port, mcpPort: null, runId: ctx.runId });
  const leg: LegResults = { name: 'embedded-default', description: MODES.default.description, notes: [...cfg.notes], rates: {} };
  const dataDir = mkdtempSync(resolve(TMP, 'pglite-embedded-'));
  let gw: Running | null = null;
  try {
    gw = await startGateway({ runner: S.runner, port, configPath: cfg.path, dataDir });
    await sleep(S.embedded.idleS * 1000);
    const idleMb = round(rssMb(gw.proc.pid) ?? NaN, 1);
    const t = targets(gw.origin, '/v1/chat/completions', 'up/gpt-4o-mini', {}).chat;
    // 16 workers divide 2,000 exactly (hey gives each worker n / c requests).
    const r: { ok: number; non2xx: number; errors: number } = hasHey ? await hey(t, ['-c', '16', '-n', String(S.embedded.requests)]) : await sc.load(leg.name, t, 500, S.embedded.requests / 500);
    const afterRequestsMb = round(rssMb(gw.proc.pid) ?? NaN, 1);
    leg.embedded = { idleAfterS: S.embedded.idleS, idleMb, requests: r.ok + r.non2xx + r.errors, ok: r.ok, non2xx: r.non2xx, errors: r.errors, afterRequestsMb };
    log(`${leg.name}: idle ${idleMb} MB, after ${leg.embedded.requests} requests ${afterRequestsMb} MB (non2xx ${r.non2xx}, errors ${r.errors})`);
  } finally {
    await gw?.proc.stop(30_000);
    rmSync(dataDir, { recursive: true, force: true });
  }
  return leg;
}
