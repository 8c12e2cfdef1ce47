// Percentiles and summaries over latency samples (ms).

export interface Summary {
  n: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

export const PCTS = ['p50', 'p90', 'p99', 'max'] as const;
export type Pct = (typeof PCTS)[number];

export function summarize(samples: ArrayLike<number>): Summary {
  const s = Float64Array.from(samples).sort();
  const n = s.length;
  if (n === 0) return { n, p50: NaN, p90: NaN, p99: NaN, max: NaN, mean: NaN };
  const at = (q: number) => s[Math.min(n - 1, Math.ceil(q * n) - 1)]!;
  let sum = 0;
  for (const v of s) sum += v;
  return { n, p50: at(0.5), p90: at(0.9), p99: at(0.99), max: s[n - 1]!, mean: sum / n };
}

/** leg − base per percentile. A difference of percentiles, not the percentile of the differences. */
export function overhead(leg: Summary, base: Summary): Record<Pct, number> {
  return { p50: leg.p50 - base.p50, p90: leg.p90 - base.p90, p99: leg.p99 - base.p99, max: leg.max - base.max };
}

export const round = (v: number, d = 2): number => (Number.isFinite(v) ? Math.round(v * 10 ** d) / 10 ** d : v);

/** Least-squares slope of y over x. */
export function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  if (n < 2) return 0;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den ? num / den : 0;
}
