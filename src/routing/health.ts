// Passive health per target (EWMA latency and error rate, recent latencies for percentiles, breaker) and per-provider retry budgets.
import { createBreaker, type Breaker } from './breaker.js';
import { realClock, type Clock } from './clock.js';
import { createRetryBudget, type RetryBudget } from './retry.js';
import type { RoutingConfig } from './schema.js';

const ALPHA = 0.2;
const RING = 64;
const MAX_TRACKED = 10_000;

export interface TargetHealth {
  readonly key: string;
  readonly breaker: Breaker;
  /** EWMA of time to first byte (ms); 0 until measured. */
  latency: number;
  /** EWMA of failures (0..1). */
  errors: number;
  samples: number;
  recordSuccess(latencyMs: number): void;
  recordFailure(): void;
  /** The p-th percentile of recent latencies, or null with fewer than `min` samples. */
  percentile(p: number, min: number): number | null;
}

export interface HealthRegistry {
  target(key: string): TargetHealth;
  budget(providerId: string): RetryBudget;
  /** Swapped on config reload; breakers and budgets read it live, and keep their state. */
  setConfig(cfg: RoutingConfig): void;
  entries(): IterableIterator<TargetHealth>;
  /** The one routing clock: breakers and budgets read it, and so do the executor's timers and sleeps. */
  readonly clock: Clock;
}

function createTargetHealth(key: string, breaker: Breaker): TargetHealth {
  const ring = new Float64Array(RING);
  let sorted: Float64Array | null = null;
  const h: TargetHealth = {
    key,
    breaker,
    latency: 0,
    errors: 0,
    samples: 0,
    recordSuccess(ms) {
      h.latency = h.samples === 0 ? ms : h.latency + ALPHA * (ms - h.latency);
      h.errors -= ALPHA * h.errors;
      ring[h.samples % RING] = ms;
      h.samples++;
      sorted = null;
      breaker.onSuccess();
    },
    recordFailure() {
      h.errors += ALPHA * (1 - h.errors);
      breaker.onFailure();
    },
    percentile(p, min) {
      const n = Math.min(h.samples, RING);
      if (n < min || n === 0) return null;
      // Sorted lazily and cached until the next sample: hedged aliases ask once per request.
      sorted ??= ring.slice(0, n).sort();
      return sorted[Math.min(n - 1, Math.floor((p / 100) * n))]!;
    },
  };
  return h;
}

export function createHealthRegistry(initial: RoutingConfig, clock: Clock = realClock): HealthRegistry {
  let cfg = initial;
  const now = (): number => clock.now();
  const targets = new Map<string, TargetHealth>();
  const budgets = new Map<string, RetryBudget>();
  const breakerCfg = () => cfg.breaker;
  const budgetCfg = () => cfg.retryBudget;
  return {
    target(key) {
      let t = targets.get(key);
      if (!t) {
        t = createTargetHealth(key, createBreaker(breakerCfg, now));
        // Clients can name any `<provider>/<model>`; past the cap such targets get untracked health.
        if (targets.size < MAX_TRACKED) targets.set(key, t);
      }
      return t;
    },
    budget(providerId) {
      let b = budgets.get(providerId);
      if (!b) {
        b = createRetryBudget(budgetCfg, now);
        budgets.set(providerId, b);
      }
      return b;
    },
    setConfig(next) {
      cfg = next;
    },
    entries: () => targets.values(),
    clock,
  };
}
