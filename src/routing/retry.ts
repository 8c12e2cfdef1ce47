// Error classification (fallback, retry, breaker), backoff with full jitter, retry-after parsing and the retry budget.
import type { GatewayError } from '../errors.js';
import type { FallbackOnConfig, RetryBudgetConfig, RetryConfig } from './schema.js';

export interface Verdict {
  /** Another target may succeed where this one failed. */
  fallback: boolean;
  /** The same target may succeed later (transient). */
  retry: boolean;
  /** Counts against the target's health. */
  unhealthy: boolean;
}

const TRANSIENT: Verdict = { fallback: true, retry: true, unhealthy: true };
const CAPABILITY: Verdict = { fallback: true, retry: false, unhealthy: false };
const FATAL: Verdict = { fallback: false, retry: false, unhealthy: false };

export function classify(err: GatewayError, on: FallbackOnConfig): Verdict {
  switch (err.code) {
    case 'upstream_error':
    case 'upstream_unavailable':
    case 'upstream_timeout':
    case 'upstream_rate_limited':
      return TRANSIENT;
    case 'unsupported':
      // A provider that lacks a feature (embeddings on Anthropic): another one may have it.
      return CAPABILITY;
    case 'upstream_bad_request':
    case 'upstream_not_found':
      return configured4xx(err, on) ? CAPABILITY : FATAL;
    default:
      return FATAL;
  }
}

function configured4xx(err: GatewayError, on: FallbackOnConfig): boolean {
  if (!on.statuses.includes(err.status)) return false;
  if (on.messages.length === 0) return true;
  const m = err.message.toLowerCase();
  return on.messages.some((s) => m.includes(s.toLowerCase()));
}

/** Full jitter (AWS architecture blog): uniform in [0, min(max, base * 2^n)]. */
export function backoffMs(retry: number, cfg: Pick<RetryConfig, 'baseMs' | 'maxMs'>, rand: () => number): number {
  const cap = Math.min(cfg.maxMs, cfg.baseMs * 2 ** retry);
  return Math.floor(rand() * cap);
}

/** `retry-after` as seconds or an HTTP date, in ms from now; null when absent or unreadable. */
export function retryAfterMs(err: GatewayError, nowMs: number = Date.now()): number | null {
  const v = err.headers['retry-after'];
  if (v === undefined) return null;
  const secs = Number(v);
  if (Number.isFinite(secs)) return Math.max(0, secs * 1000);
  const at = Date.parse(v);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

export interface RetryBudget {
  /** Called once per request routed to the provider. */
  deposit(): void;
  /** True (and one token spent) if a retry is allowed now. */
  tryWithdraw(): boolean;
}

/**
 * Finagle-style budget: requests earn `ratio` tokens, time earns `minPerSecond`, a retry costs one.
 * During an outage retries stay a bounded share of traffic instead of multiplying it.
 */
export function createRetryBudget(cfg: () => RetryBudgetConfig, now: () => number): RetryBudget {
  let tokens = cfg().burst;
  let last = now();
  function refill(): void {
    const c = cfg();
    const t = now();
    tokens = Math.min(c.burst, tokens + ((t - last) / 1000) * c.minPerSecond);
    last = t;
  }
  return {
    deposit() {
      const c = cfg();
      tokens = Math.min(c.burst, tokens + c.ratio);
    },
    tryWithdraw() {
      refill();
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}
