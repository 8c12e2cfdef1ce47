// Turns the legs' measurements into overheads, peer and floor ratios and target checks, and writes RESULTS.md + results.json.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { HeyResult } from './hey.js';
import type { MemoryResult, RateResult, StreamSummary } from './scenarios.js';
import { ROOT } from './servers.js';
import { S } from './settings.js';
import { overhead, PCTS, round, type Pct, type Summary } from './stats.js';
import { renderMarkdown } from './report-md.js';
import { checkTargets, type TargetCheck } from './targets.js';

export interface LegResults {
  name: string;
  description: string;
  notes: string[];
  rates: Record<number, RateResult>;
  streaming?: StreamSummary;
  mcp?: { latency: Summary; calls: number; errors: number } | { skipped: string };
  /** `hey -c 32 -z 8s` (closed loop) and `hey -c 1 -n 3000` (sequential, one keep-alive connection). */
  closedLoop?: HeyResult;
  sequential?: HeyResult;
  sustained?: RateResult;
  /** How the sustained run's rate was chosen. */
  sustainedBasis?: string;
  /** Embedded-default leg only: RSS idle and after a fixed number of requests. */
  embedded?: { idleAfterS: number; idleMb: number; requests: number; ok: number; non2xx: number; errors: number; afterRequestsMb: number };
  ramp?: Record<number, { direct: RateResult; leg: RateResult }>;
  memory?: MemoryResult;
  parity?: { rows: number; answered: number; clientErrors: number; equal: boolean; consistent: boolean; exitCode: number | null };
}

export type Added = Record<Pct, number>;

export interface Analysis {
  /** leg → rate → leg − direct per percentile (ms). */
  overhead: Record<string, Record<number, Added>>;
  /** Highest rate (matrix, plus the ramp for gateway-on) with p99 overhead under the budget and the rate sustained. */
  maxRateUnderBudget: Record<string, number | null>;
  /** rate → percentile → Portkey overhead ÷ gateway-on overhead (>1: we add less). */
  peerRatio: Record<number, Added>;
  streamingAdded: Record<string, { ttft: Added; gap: Added } | null>;
  mcpAdded: Record<string, Added | null>;
  /** leg → sequential (hey -c 1) p50/p99 minus direct's (ms). */
  sequentialAdded: Record<string, { p50: number; p99: number } | null>;
  /** leg → closed-loop (hey -c 32) rps and its ratio to Portkey's and to the floor's. */
  closedLoop: Record<string, { rps: number; vsPortkey: number | null; vsFloor: number | null }>;
  /** Issue #13's targets: the headline. */
  targets: TargetCheck[];
}

export interface BenchResults {
  meta: Record<string, unknown> & { date: string; command: string; notes: string[] };
  legs: LegResults[];
  analysis: Analysis;
}

const sustainedOk = (r: RateResult) => r.errors === 0 && r.non2xx === 0 && r.rps >= r.rate * 0.95;

export function analyse(legs: LegResults[]): Analysis {
  const direct = legs.find((l) => l.name === 'direct')!;
  const a: Analysis = { overhead: {}, maxRateUnderBudget: {}, peerRatio: {}, streamingAdded: {}, mcpAdded: {}, sequentialAdded: {}, closedLoop: {}, targets: [] };
  const portkeyRps = legs.find((l) => l.name === 'portkey')?.closedLoop?.rps;
  const floorRps = legs.find((l) => l.name === 'floor')?.closedLoop?.rps;
  for (const leg of legs) {
    if (!leg.closedLoop) continue;
    const rps = leg.closedLoop.rps;
    a.closedLoop[leg.name] = { rps, vsPortkey: portkeyRps ? round(rps / portkeyRps, 2) : null, vsFloor: floorRps ? round(rps / floorRps, 2) : null };
  }
  // Legs without an open-loop matrix (embedded-default) have no latency to compare.
  for (const leg of legs.filter((l) => l !== direct && Object.keys(l.rates).length > 0)) {
    const o: Record<number, Added> = {};
    let best: number | null = null;
    const check = (rate: number, legR: RateResult, base: RateResult) => {
      const add = roundAdded(overhead(legR.latency, base.latency));
      if (add.p99 < S.p99BudgetMs && sustainedOk(legR)) best = Math.max(best ?? 0, rate);
      return add;
    };
    for (const [rate, r] of Object.entries(leg.rates)) if (direct.rates[+rate]) o[+rate] = check(+rate, r, direct.rates[+rate]!);
    for (const [rate, r] of Object.entries(leg.ramp ?? {})) o[+rate] = check(+rate, r.leg, r.direct);
    a.overhead[leg.name] = o;
    a.maxRateUnderBudget[leg.name] = best;
    a.streamingAdded[leg.name] =
      leg.streaming && direct.streaming && leg.streaming.ok > 0
        ? { ttft: roundAdded(overhead(leg.streaming.ttft, direct.streaming.ttft)), gap: roundAdded(overhead(leg.streaming.gap, direct.streaming.gap)) }
        : null;
    a.sequentialAdded[leg.name] = leg.sequential && direct.sequential ? { p50: round(leg.sequential.p50 - direct.sequential.p50, 2), p99: round(leg.sequential.p99 - direct.sequential.p99, 2) } : null;
    a.mcpAdded[leg.name] = leg.mcp && 'latency' in leg.mcp && direct.mcp && 'latency' in direct.mcp ? roundAdded(overhead(leg.mcp.latency, direct.mcp.latency)) : null;
  }
  const on = a.overhead['gateway-on'] ?? {};
  const pk = a.overhead['portkey'] ?? {};
  for (const rate of S.rates) {
    if (!on[rate] || !pk[rate]) continue;
    a.peerRatio[rate] = Object.fromEntries(PCTS.map((p) => [p, round(pk[rate]![p] / on[rate]![p], 2)])) as Added;
  }
  a.targets = checkTargets(legs, a);
  return a;
}

function roundAdded(x: Added): Added {
  return { p50: round(x.p50, 3), p90: round(x.p90, 3), p99: round(x.p99, 3), max: round(x.max, 3) };
}

export function writeReports(r: BenchResults): void {
  writeFileSync(resolve(ROOT, 'bench/results.json'), `${JSON.stringify(r, null, 2)}\n`);
  const notesPath = resolve(ROOT, 'bench/PROFILE.md');
  const profile = existsSync(notesPath) ? readFileSync(notesPath, 'utf8') : '';
  writeFileSync(resolve(ROOT, 'bench/RESULTS.md'), renderMarkdown(r, profile));
}
