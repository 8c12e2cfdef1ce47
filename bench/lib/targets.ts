// Issue #13's targets, checked against one run's figures: the pass/fail headline of RESULTS.md and results.json.
import type { HeyResult } from './hey.js';
import type { Added, LegResults } from './report.js';
import { round } from './stats.js';

/** The limits, in one place. */
export const LIMITS = {
  throughputVsPeer: 3,
  throughputVsFloor: 0.35,
  sequentialAddedP50Ms: 1,
  sequentialVsFloor: 2.5,
  openLoopRate: 1000,
  openLoopAddedP99Ms: 5,
  streamingTtftAddedP50Ms: 1,
  mcpAddedP50Ms: 1,
  sustainedRssMb: 250,
  growthMbPerMin: 5,
  embeddedIdleRssMb: 250,
} as const;

export interface TargetCheck {
  id: string;
  target: string;
  /** The figures behind the verdict, in words. */
  measured: string;
  /** The number compared with the limit (null when a figure is missing). */
  value: number | null;
  limit: number;
  /** null: a figure needed for the check is missing (leg failed or tool not installed). */
  pass: boolean | null;
}

/** What the checks read from the analysis (computed in report.ts). */
export interface AddedFigures {
  overhead: Record<string, Record<number, Added>>;
  streamingAdded: Record<string, { ttft: Added; gap: Added } | null>;
  mcpAdded: Record<string, Added | null>;
  sequentialAdded: Record<string, { p50: number; p99: number } | null>;
}

const ms = (v: number) => `${v >= 0 ? '+' : ''}${v.toFixed(2)} ms`;
const failures = (r: { non2xx: number; errors: number }) => r.non2xx + r.errors;
const failNote = (r: { non2xx: number; errors: number }) => (failures(r) ? `; ${r.non2xx} non-2xx, ${r.errors} errors` : '');
const missing = (id: string, target: string, limit: number, why: string): TargetCheck => ({ id, target, measured: `n/a: ${why}`, value: null, limit, pass: null });

export function checkTargets(legs: LegResults[], a: AddedFigures): TargetCheck[] {
  const leg = (name: string) => legs.find((l) => l.name === name);
  const on = leg('gateway-on');
  const out: TargetCheck[] = [];

  // Throughput ratios: gateway-on's closed loop must be clean, or its rps counts failures as throughput.
  const ratio = (id: string, target: string, other: HeyResult | undefined, otherName: string, limit: number) => {
    const g = on?.closedLoop;
    if (!g || !other) return out.push(missing(id, target, limit, `no closed-loop figure for ${g ? otherName : 'gateway-on'}`));
    const x = round(g.rps / other.rps, 2);
    out.push({ id, target, measured: `${g.rps} vs ${other.rps} rps = ${x}×${failNote(g)}`, value: x, limit, pass: x >= limit && failures(g) === 0 });
  };
  ratio('throughput-vs-peer', `closed-loop throughput (hey -c 32): gateway-on ≥ ${LIMITS.throughputVsPeer}× Portkey`, leg('portkey')?.closedLoop, 'portkey', LIMITS.throughputVsPeer);
  ratio('throughput-vs-floor', `closed-loop throughput (hey -c 32): gateway-on ≥ ${LIMITS.throughputVsFloor}× the bare-Node floor`, leg('floor')?.closedLoop, 'floor', LIMITS.throughputVsFloor);

  const seqOn = a.sequentialAdded['gateway-on'];
  const seqFloor = a.sequentialAdded['floor'];
  const seqT = `sequential added p50 (hey -c 1, gateway-on − direct) ≤ ${LIMITS.sequentialAddedP50Ms} ms`;
  out.push(seqOn ? { id: 'sequential-added-p50', target: seqT, measured: `${ms(seqOn.p50)}${failNote(on!.sequential!)}`, value: seqOn.p50, limit: LIMITS.sequentialAddedP50Ms, pass: seqOn.p50 <= LIMITS.sequentialAddedP50Ms && failures(on!.sequential!) === 0 } : missing('sequential-added-p50', seqT, LIMITS.sequentialAddedP50Ms, 'no sequential figure'));
  const seqFT = `sequential added p50: gateway-on ≤ ${LIMITS.sequentialVsFloor}× the floor's`;
  // Compared as written (on ≤ 2.5 × floor) rather than as a ratio, which a floor figure of 0 (hey's 0.1 ms resolution) would break.
  out.push(seqOn && seqFloor ? { id: 'sequential-vs-floor', target: seqFT, measured: `${ms(seqOn.p50)} vs floor ${ms(seqFloor.p50)}${seqFloor.p50 > 0 ? ` = ${(seqOn.p50 / seqFloor.p50).toFixed(2)}×` : ''}`, value: seqOn.p50, limit: round(LIMITS.sequentialVsFloor * seqFloor.p50, 3), pass: seqOn.p50 <= LIMITS.sequentialVsFloor * seqFloor.p50 } : missing('sequential-vs-floor', seqFT, LIMITS.sequentialVsFloor, 'no sequential figure for gateway-on or the floor'));

  const olT = `open loop at ${LIMITS.openLoopRate} rps: gateway-on added p99 ≤ ${LIMITS.openLoopAddedP99Ms} ms (rate sustained, no failures)`;
  const olAdded = a.overhead['gateway-on']?.[LIMITS.openLoopRate];
  const olRun = on?.rates[LIMITS.openLoopRate];
  out.push(olAdded && olRun ? { id: 'open-loop-added-p99', target: olT, measured: `${ms(olAdded.p99)} (p50 ${ms(olAdded.p50)}), ${olRun.rps} rps achieved${failNote(olRun)}`, value: olAdded.p99, limit: LIMITS.openLoopAddedP99Ms, pass: olAdded.p99 <= LIMITS.openLoopAddedP99Ms && failures(olRun) === 0 && olRun.rps >= olRun.rate * 0.95 } : missing('open-loop-added-p99', olT, LIMITS.openLoopAddedP99Ms, `${LIMITS.openLoopRate} rps not in the matrix (BENCH_RATES)`));

  const stT = `streaming added TTFT p50 ≤ ${LIMITS.streamingTtftAddedP50Ms} ms (every stream complete)`;
  const st = a.streamingAdded['gateway-on'];
  const streams = on?.streaming;
  out.push(st && streams ? { id: 'streaming-ttft-p50', target: stT, measured: `${ms(st.ttft.p50)} (p99 ${ms(st.ttft.p99)}), ${streams.ok} / ${streams.streams} streams ok`, value: st.ttft.p50, limit: LIMITS.streamingTtftAddedP50Ms, pass: st.ttft.p50 <= LIMITS.streamingTtftAddedP50Ms && streams.ok === streams.streams } : missing('streaming-ttft-p50', stT, LIMITS.streamingTtftAddedP50Ms, 'no streaming figures'));

  const mcpT = `MCP tools/call added p50 ≤ ${LIMITS.mcpAddedP50Ms} ms (no errors)`;
  const mcp = a.mcpAdded['gateway-on'];
  const mcpRun = on?.mcp && 'latency' in on.mcp ? on.mcp : null;
  out.push(mcp && mcpRun ? { id: 'mcp-added-p50', target: mcpT, measured: `${ms(mcp.p50)} (p99 ${ms(mcp.p99)}), ${mcpRun.errors} errors in ${mcpRun.calls} calls`, value: mcp.p50, limit: LIMITS.mcpAddedP50Ms, pass: mcp.p50 <= LIMITS.mcpAddedP50Ms && mcpRun.errors === 0 } : missing('mcp-added-p50', mcpT, LIMITS.mcpAddedP50Ms, on?.mcp && 'skipped' in on.mcp ? on.mcp.skipped : 'no MCP figures'));

  const m = on?.memory;
  const s = on?.sustained;
  const run = s ? ` at ${s.rate} rps for ${s.sent ? Math.round(s.sent / s.rate) : 0} s (${s.rps} achieved${failNote(s)})` : '';
  const rssT = `gateway-on RSS under the sustained load ≤ ${LIMITS.sustainedRssMb} MB`;
  out.push(m?.underLoadMaxMb != null ? { id: 'sustained-rss', target: rssT, measured: `max ${m.underLoadMaxMb} MB, mean ${m.underLoadMeanMb} MB${run}`, value: m.underLoadMaxMb, limit: LIMITS.sustainedRssMb, pass: m.underLoadMaxMb <= LIMITS.sustainedRssMb } : missing('sustained-rss', rssT, LIMITS.sustainedRssMb, 'no sustained run'));
  const grT = `gateway-on RSS growth under the sustained load ≤ ${LIMITS.growthMbPerMin} MB/min`;
  out.push(m?.growthMbPerMin != null ? { id: 'sustained-growth', target: grT, measured: `${m.growthMbPerMin} MB/min (least squares after the first ${m.slopeFromS} s)`, value: m.growthMbPerMin, limit: LIMITS.growthMbPerMin, pass: m.growthMbPerMin <= LIMITS.growthMbPerMin } : missing('sustained-growth', grT, LIMITS.growthMbPerMin, 'no sustained run'));

  const e = leg('embedded-default')?.embedded;
  const emT = `embedded default (PGlite) idle RSS ≤ ${LIMITS.embeddedIdleRssMb} MB`;
  out.push(e && Number.isFinite(e.idleMb) ? { id: 'embedded-idle-rss', target: emT, measured: `${e.idleMb} MB ${e.idleAfterS} s after ready; ${e.afterRequestsMb} MB after ${e.requests} requests${failNote(e)}`, value: e.idleMb, limit: LIMITS.embeddedIdleRssMb, pass: e.idleMb <= LIMITS.embeddedIdleRssMb } : missing('embedded-idle-rss', emT, LIMITS.embeddedIdleRssMb, 'embedded leg did not run'));
  return out;
}
