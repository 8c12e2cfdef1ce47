// Bench settings: the full run (~20 min, 10 of them the sustained memory run) or BENCH_QUICK=1 (a few minutes), with a few env overrides.
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
  /** Closed loop (`hey -c 32 -z 8s`) and sequential (`hey -c 1 -n 3000`) per leg, as the issue measures the peer and the floor. */
  hey: { concurrency: 32, durationS: QUICK ? 4 : 8, sequentialN: QUICK ? 1000 : 3000 },
  /**
   * Gateway-on memory line: open-loop load at `share` of its measured closed-loop throughput (`fallbackRate` when hey is
   * missing) for BENCH_SUSTAIN_S seconds; the slope skips the first minute (or first third of a shorter run) as warm-up.
   */
  sustain: { share: 0.8, fallbackRate: 1000, durationS: Number(env.BENCH_SUSTAIN_S ?? (QUICK ? 20 : 600)), afterS: QUICK ? 2 : 10 },
  /** Embedded-default leg: idle RSS this long after ready, then RSS after this many requests. */
  embedded: { idleS: 5, requests: 2000 },
  /** Redis for the gateway-on leg (BENCH_REDIS=0 runs it without, in-process limits and budgets). */
  redisUrl: env.BENCH_REDIS === '0' ? undefined : (env.BENCH_REDIS_URL ?? env.REDIS_URL ?? 'redis://127.0.0.1:6379'),
  databaseUrl: env.BENCH_DATABASE_URL ?? env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
};

export type Settings = typeof S;
