// Backoff with full jitter, retry-after parsing, the retry budget and the fallback/retry classification of errors.
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { backoffMs, classify, createRetryBudget, retryAfterMs } from '../../src/routing/retry.js';
import { createRng } from '../../src/routing/strategies.js';

const none = { statuses: [], messages: [] };

describe('backoff', () => {
  it('draws uniformly below the capped exponential', () => {
    const cfg = { baseMs: 100, maxMs: 1000 };
    expect(backoffMs(0, cfg, () => 0.999)).toBe(99);
    expect(backoffMs(3, cfg, () => 0.5)).toBe(400);
    expect(backoffMs(10, cfg, () => 0.999)).toBe(999);
    expect(backoffMs(2, cfg, () => 0)).toBe(0);
    const rand = createRng(7);
    for (let i = 0; i < 100; i++) {
      const v = backoffMs(4, cfg, rand);
      expect(v).toBeGreaterThanOrEqual(0);
      expect(v).toBeLessThan(1000);
    }
  });

  it('reads retry-after as seconds or an HTTP date', () => {
    const e = (v?: string) => new GatewayError('upstream_rate_limited', 'x', { headers: v === undefined ? {} : { 'retry-after': v } });
    expect(retryAfterMs(e('2'))).toBe(2000);
    expect(retryAfterMs(e('0.5'))).toBe(500);
    expect(retryAfterMs(e())).toBeNull();
    expect(retryAfterMs(e('soon'))).toBeNull();
    const at = Date.parse('2030-01-01T00:00:10Z');
    expect(retryAfterMs(e(new Date(at).toUTCString()), at - 10_000)).toBe(10_000);
  });
});

describe('retry budget', () => {
  it('starts with the burst, earns by ratio and time, and refuses when empty', () => {
    const clock = { t: 0 };
    const cfg = { ratio: 0.5, minPerSecond: 1, burst: 2 };
    const b = createRetryBudget(() => cfg, () => clock.t);
    expect(b.tryWithdraw()).toBe(true);
    expect(b.tryWithdraw()).toBe(true);
    expect(b.tryWithdraw()).toBe(false);
    b.deposit();
    expect(b.tryWithdraw()).toBe(false);
    b.deposit();
    expect(b.tryWithdraw()).toBe(true);
    clock.t = 1000;
    expect(b.tryWithdraw()).toBe(true);
    expect(b.tryWithdraw()).toBe(false);
  });
});

describe('classify', () => {
  it('falls back and retries on 5xx, 429, timeouts and connection errors', () => {
    for (const code of ['upstream_error', 'upstream_unavailable', 'upstream_timeout', 'upstream_rate_limited'] as const) {
      expect(classify(new GatewayError(code, 'x'), none)).toEqual({ fallback: true, retry: true, unhealthy: true });
    }
  });

  it('never falls back on plain client errors, only on configured 4xx with a matching message', () => {
    const ctx = new GatewayError('upstream_bad_request', 'maximum context length is 8192 tokens', { status: 400 });
    const other = new GatewayError('upstream_bad_request', 'messages must be non-empty', { status: 400 });
    expect(classify(ctx, none).fallback).toBe(false);
    expect(classify(new GatewayError('invalid_request', 'x'), none).fallback).toBe(false);
    expect(classify(new GatewayError('internal_error', 'x'), none).fallback).toBe(false);
    const on = { statuses: [400], messages: ['context length'] };
    expect(classify(ctx, on)).toEqual({ fallback: true, retry: false, unhealthy: false });
    expect(classify(other, on).fallback).toBe(false);
    expect(classify(other, { statuses: [400], messages: [] }).fallback).toBe(true);
  });
});
