// Per-target circuit breaker: opens on consecutive failures or an error ratio in a window, half-opens after a cooldown.
import type { BreakerConfig } from './schema.js';

export type BreakerState = 'closed' | 'open' | 'half-open';

export interface Breaker {
  state(): BreakerState;
  /** True if a call may go to the target now; in half-open this takes one probe slot. */
  tryAcquire(): boolean;
  onSuccess(): void;
  onFailure(): void;
  /** The call ended without a verdict (cancelled, client error): frees a probe slot. */
  onNeutral(): void;
  /** Why it is open, for the route summary. */
  reason(): string;
}

/** `cfg` is read on every call, so a config reload can swap it in place. */
export function createBreaker(cfg: () => BreakerConfig, now: () => number): Breaker {
  let state: BreakerState = 'closed';
  let openedAt = 0;
  let consecutive = 0;
  let windowStart = now();
  let calls = 0;
  let failures = 0;
  let probes = 0;
  let why = '';

  function open(reason: string): void {
    state = 'open';
    openedAt = now();
    probes = 0;
    why = reason;
  }

  function close(): void {
    state = 'closed';
    consecutive = 0;
    calls = 0;
    failures = 0;
    probes = 0;
    windowStart = now();
    why = '';
  }

  function roll(t: number): void {
    // A tumbling window is enough here: the ratio only needs to be roughly recent.
    if (t - windowStart >= cfg().windowMs) {
      windowStart = t;
      calls = 0;
      failures = 0;
    }
  }

  function current(): BreakerState {
    if (state === 'open' && now() - openedAt >= cfg().cooldownMs) {
      state = 'half-open';
      probes = 0;
    }
    return state;
  }

  return {
    state: current,
    tryAcquire() {
      const s = current();
      if (s === 'closed') return true;
      if (s === 'open') return false;
      if (probes >= cfg().halfOpenProbes) return false;
      probes++;
      return true;
    },
    onSuccess() {
      if (state !== 'closed') return close();
      consecutive = 0;
      roll(now());
      calls++;
    },
    onFailure() {
      if (state === 'half-open') return open('half-open probe failed');
      if (state === 'open') {
        openedAt = now();
        return;
      }
      const c = cfg();
      roll(now());
      calls++;
      failures++;
      consecutive++;
      if (consecutive >= c.consecutiveFailures) open(`${consecutive} failures in a row`);
      else if (calls >= c.minRequests && failures / calls >= c.errorRatio) open(`${failures}/${calls} calls failed`);
    },
    onNeutral() {
      if (state === 'half-open' && probes > 0) probes--;
    },
    reason: () => why,
  };
}
