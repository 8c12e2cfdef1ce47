// Bench settings: the full run (≤ ~10 min) or BENCH_QUICK=1 (~1-2 min), with a few env overrides.
import type { Runner } from './servers.js';

const env = process.env;
export const QUICK = env.BENCH_QUICK === '1';

const list = (v: string | undefined, d: number[]) => (v ? v.split(',').map(Number).filter((n) => n > 0) : d);

export const S = {
  quick: QUICK,
  runner: (env.BENCH_RUNNER === 'tsx' ? 'tsx' : 'compiled') as Runner,
  /** Fixed arrival rates for the overhead matrix (rps). */
  rates: list(env.BENCH_RATES, [200, 500, 1000, 2000]),
  rateS: Number(env.BENCH_DURATION_S ?? (QUICK ? 2.5 : 10)),
  warmRate: 500,
  warmS: QUICK ? 1.5 : 4,
  /** Rates tried above the matrix while the gateway's p99 overhead stays under 5 ms. */
  ramp: list(env.BENCH_RAMP, QUICK ? [3000] : [3000, 4000, 5000, 6000]),
  rampS: QUICK ? 2 : 6,
  p99BudgetMs: 5,
  /** Upstream latency of the non-streaming mock (ms); 0 keeps the difference of legs pure overhead. */
  upstreamMs: Number(env.BENCH_UPSTREAM_MS ?? 0),
  stream: { rate: QUICK ? 30 : 50, durationS: QUICK ? 2 : 8, ttftMs: 20, chunks: 20, chunkMs: 5 },
  mcp: { warmup: QUICK ? 20 : 100, calls: QUICK ? 100 : 1000 },
  sustain: { rate: 1000, durationS: QUICK ? 8 : 60, afterS: QUICK ? 2 : 10 },
  databaseUrl: env.BENCH_DATABASE_URL ?? env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
};

export type Settings = typeof S;
