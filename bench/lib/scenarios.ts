// The measured scenarios for one leg: fixed-rate chat, hey closed loop and sequential, streaming, MCP tools/call, and a sustained run with RSS samples.
import { closedLoop, sequential, type HeyResult } from './hey.js';
import { mcpCalls, mcpConnect } from './mcp-client.js';
import { openLoop, type LoadResult, type Target } from './open-loop.js';
import { rssMb, sleep } from './proc.js';
import { S } from './settings.js';
import { round, slope, summarize, type Summary } from './stats.js';
import { streamLoad } from './stream-client.js';

export interface RateResult {
  rate: number;
  rps: number;
  sent: number;
  ok: number;
  non2xx: number;
  errors: number;
  sendLagP99: number;
  latency: Summary;
}

export interface StreamSummary {
  streams: number;
  ok: number;
  failed: number;
  errors: number;
  withUsage: number;
  withDone: number;
  firstFailure?: string;
  ttft: Summary;
  gap: Summary;
  total: Summary;
}

export interface MemoryResult {
  idleMb: number | null;
  afterWarmupMb: number | null;
  underLoadMeanMb: number | null;
  underLoadMaxMb: number | null;
  afterLoadMb: number | null;
  /** Least-squares RSS slope (MB/min) over the sustained run after its warm-up window (`slopeFromS`). */
  growthMbPerMin: number | null;
  slopeFromS: number | null;
  samples: Array<[number, number]>;
}

/** Counts every answer a leg gave, for row parity. */
export interface Served {
  answered: number;
  clientErrors: number;
}

const log = (m: string) => process.stderr.write(`[bench] ${m}\n`);

export function toRate(r: LoadResult): RateResult {
  return { rate: r.rate, rps: round(r.rps, 1), sent: r.sent, ok: r.ok, non2xx: r.non2xx, errors: r.errors, sendLagP99: round(r.sendLagP99, 3), latency: roundSummary(summarize(r.latencies)) };
}

export function roundSummary(s: Summary): Summary {
  return { n: s.n, p50: round(s.p50, 3), p90: round(s.p90, 3), p99: round(s.p99, 3), max: round(s.max, 3), mean: round(s.mean, 3) };
}

export async function load(name: string, t: Target, rate: number, seconds: number, served?: Served): Promise<RateResult> {
  const r = await openLoop(t, rate, seconds);
  if (served) {
    served.answered += r.ok + r.non2xx;
    served.clientErrors += r.errors;
  }
  const out = toRate(r);
  log(`${name} @${rate} rps: ${out.rps} rps, p50 ${out.latency.p50} p99 ${out.latency.p99} max ${out.latency.max} ms, non2xx ${r.non2xx}, errors ${r.errors}`);
  return out;
}

export async function warm(name: string, t: Target, served?: Served): Promise<void> {
  await load(`${name} warm-up`, t, S.warmRate, S.warmS, served);
}

/** The open-loop matrix at S.rates (after `warm`). */
export async function rates(name: string, t: Target, served?: Served): Promise<Record<number, RateResult>> {
  const out: Record<number, RateResult> = {};
  for (const rate of S.rates) {
    out[rate] = await load(name, t, rate, S.rateS, served);
    await sleep(300);
  }
  return out;
}

/** hey closed loop or sequential; its answers count towards row parity like the open loop's. */
export async function heyRun(name: string, kind: 'closed' | 'sequential', t: Target, served?: Served): Promise<HeyResult> {
  const r = await (kind === 'closed' ? closedLoop(t) : sequential(t));
  if (served) {
    served.answered += r.ok + r.non2xx;
    served.clientErrors += r.errors;
  }
  log(`${name} hey ${r.args}: ${r.rps} rps, p50 ${r.p50} p99 ${r.p99} ms, non2xx ${r.non2xx}, errors ${r.errors}${r.firstError ? ` (${r.firstError})` : ''}`);
  return r;
}

export async function streaming(name: string, t: Target, served?: Served): Promise<StreamSummary> {
  const r = await streamLoad(t, S.stream.rate, S.stream.durationS);
  if (served) {
    served.answered += r.ok + r.failed;
    served.clientErrors += r.errors;
  }
  const out = { streams: r.streams, ok: r.ok, failed: r.failed, errors: r.errors, withUsage: r.withUsage, withDone: r.withDone, firstFailure: r.firstFailure, ttft: roundSummary(summarize(r.ttft)), gap: roundSummary(summarize(r.gaps)), total: roundSummary(summarize(r.total)) };
  log(`${name} streaming: ${r.ok}/${r.streams} ok, ttft p50 ${out.ttft.p50} p99 ${out.ttft.p99}, gap p50 ${out.gap.p50} p99 ${out.gap.p99} ms${r.firstFailure ? `; first failure ${r.firstFailure}` : ''}`);
  return out;
}

export async function mcp(name: string, url: string, headers: Record<string, string>, tool: string, served?: Served): Promise<{ latency: Summary; calls: number; errors: number } | { skipped: string }> {
  let conn;
  try {
    conn = await mcpConnect(url, headers);
  } catch (err) {
    return { skipped: `${url}: ${(err as Error).message.slice(0, 200)}` };
  }
  try {
    if (!conn.tools.includes(tool)) return { skipped: `tool ${tool} not listed (have: ${conn.tools.slice(0, 5).join(', ')})` };
    const r = await mcpCalls(conn.client, tool, S.mcp.warmup, S.mcp.calls);
    // Tool calls are logged like model calls, so they count towards row parity.
    if (served) served.answered += r.answered;
    const latency = roundSummary(summarize(r.latencies));
    log(`${name} mcp tools/call: p50 ${latency.p50} p99 ${latency.p99} ms, errors ${r.errors}`);
    return { latency, calls: r.calls, errors: r.errors };
  } finally {
    await conn.client.close().catch(() => {});
  }
}

/** Steady load at `rate` for S.sustain.durationS with RSS sampled each second; fills in the memory picture of the run. */
export async function sustained(name: string, t: Target, rate: number, pid: number, mem: MemoryResult, served?: Served): Promise<RateResult> {
  const t0 = performance.now();
  const timer = setInterval(() => {
    const v = rssMb(pid);
    if (v !== null) mem.samples.push([round((performance.now() - t0) / 1000, 1), round(v, 1)]);
  }, 1000);
  const r = await load(`${name} sustained`, t, rate, S.sustain.durationS, served);
  clearInterval(timer);
  const vals = mem.samples.map((s) => s[1]);
  if (vals.length) {
    mem.underLoadMaxMb = Math.max(...vals);
    mem.underLoadMeanMb = round(vals.reduce((a, b) => a + b, 0) / vals.length, 1);
    // Heap growth while the JIT, pools and caches warm up is not a leak: the slope starts after the first minute
    // (the first third of a run shorter than three minutes).
    mem.slopeFromS = round(Math.min(60, S.sustain.durationS / 3), 1);
    const steady = mem.samples.filter((s) => s[0] >= mem.slopeFromS!);
    mem.growthMbPerMin = round(slope(steady.map((s) => s[0]), steady.map((s) => s[1])) * 60, 2);
    log(`${name} sustained RSS: mean ${mem.underLoadMeanMb} max ${mem.underLoadMaxMb} MB, slope ${mem.growthMbPerMin} MB/min after ${mem.slopeFromS} s`);
  }
  await sleep(S.sustain.afterS * 1000);
  mem.afterLoadMb = round(rssMb(pid) ?? NaN, 1);
  return r;
}

export function emptyMemory(pid: number): MemoryResult {
  return { idleMb: round(rssMb(pid) ?? NaN, 1), afterWarmupMb: null, underLoadMeanMb: null, underLoadMaxMb: null, afterLoadMb: null, growthMbPerMin: null, slopeFromS: null, samples: [] };
}
