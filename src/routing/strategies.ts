// Target ordering strategies: weighted, round-robin, least-latency (EWMA with exploration), cost, fallback; and a seedable RNG.
import type { Provider } from '../providers/types.js';
import type { TargetHealth } from './health.js';
import type { RetryBudget } from './retry.js';
import type { Strategy, TargetTimeouts } from './schema.js';

export interface Target {
  /** `provider/model`: the health and breaker key. */
  key: string;
  provider: Provider;
  model: string;
  weight: number;
  timeouts: TargetTimeouts | null;
  health: TargetHealth;
  /** The provider's retry budget (shared by every target on that provider). */
  budget: RetryBudget;
  /** Blended price (micro-dollars per million input+output tokens); Infinity when unknown. */
  price: number;
}

export interface TargetGroup {
  strategy: Strategy;
  targets: Target[];
  /** Round-robin cursor. */
  cursor: number;
}

/** mulberry32: tiny, fast, good enough for load balancing and jitter. */
export function createRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Weighted sampling without replacement: the first pick follows the weights, the rest are fallbacks in weighted order. */
function weighted(ts: Target[], rand: () => number): Target[] {
  if (ts.length === 1) return ts;
  const pool = ts.slice();
  const out: Target[] = [];
  let total = 0;
  for (const t of pool) total += t.weight;
  while (pool.length) {
    let r = rand() * total;
    let i = 0;
    for (; i < pool.length - 1; i++) {
      r -= pool[i]!.weight;
      if (r < 0) break;
    }
    const [t] = pool.splice(i, 1);
    total -= t!.weight;
    out.push(t!);
  }
  return out;
}

function rotate(g: TargetGroup): Target[] {
  const n = g.targets.length;
  const start = g.cursor++ % n;
  if (g.cursor > 1e9) g.cursor = 0;
  return start === 0 ? g.targets : [...g.targets.slice(start), ...g.targets.slice(0, start)];
}

/** Lower is better: latency inflated by the recent error rate; unmeasured targets score 0 so they get measured. */
export function latencyScore(t: Target): number {
  const h = t.health;
  return h.samples === 0 ? 0 : h.latency * (1 + 4 * h.errors);
}

function leastLatency(ts: Target[], rand: () => number, exploration: number): Target[] {
  const out = ts.slice().sort((a, b) => latencyScore(a) - latencyScore(b));
  if (out.length > 1 && rand() < exploration) {
    const i = 1 + Math.floor(rand() * (out.length - 1));
    const [t] = out.splice(i, 1);
    out.unshift(t!);
  }
  return out;
}

/** Orders a group's targets for one request: the first is the primary, the rest are fallbacks. */
export function order(g: TargetGroup, rand: () => number, exploration: number): Target[] {
  switch (g.strategy) {
    case 'weighted':
      return weighted(g.targets, rand);
    case 'round-robin':
      return rotate(g);
    case 'least-latency':
      return leastLatency(g.targets, rand, exploration);
    case 'cost':
      // Pre-sorted by price when the router is built; stable for equal prices.
      return g.targets;
    case 'fallback':
      return g.targets;
  }
}
