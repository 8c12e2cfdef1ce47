// Rate-limit semantics on the in-process store: all-or-nothing consume, token adjust, OpenAI-style headers.
import { describe, expect, it } from 'vitest';
import { createRateLimitStore, formatResetDuration, rateLimitHeaders, type RateCheck, type RateResult } from '../../src/policy/rate-limit-store.js';

const req = (scope: string, limitPerMinute: number): RateCheck => ({ scope, dimension: 'requests', limitPerMinute });
const tok = (scope: string, limitPerMinute: number, points: number): RateCheck => ({ scope, dimension: 'tokens', limitPerMinute, points });

function okOf(r: RateResult): Extract<RateResult, { ok: true }> {
  if (!r.ok) throw new Error(`expected ok, denied on ${r.denied.scope} ${r.denied.dimension}`);
  return r;
}

describe('rate-limit store (memory)', () => {
  it('allows the limit per minute, then denies with retry-after and a reset', async () => {
    const store = createRateLimitStore();
    for (let i = 0; i < 3; i++) expect((await store.consume([req('key:k1', 3)])).ok).toBe(true);
    const r = await store.consume([req('key:k1', 3)]);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.denied).toMatchObject({ scope: 'key:k1', dimension: 'requests', limit: 3, remaining: 0 });
    expect(r.denied.resetMs).toBeGreaterThan(0);
    expect(r.denied.resetMs).toBeLessThanOrEqual(60_000);
    expect(r.retryAfterSec).toBe(Math.ceil(r.denied.resetMs / 1000));
  });

  it('takes from every check or from none', async () => {
    const store = createRateLimitStore();
    const r = await store.consume([req('key:k1', 10), req('team:t1', 10), tok('team:t1', 1000, 1500)]);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.denied).toMatchObject({ scope: 'team:t1', dimension: 'tokens', remaining: 1000 });
    const again = okOf(await store.consume([req('key:k1', 10), req('team:t1', 10), tok('team:t1', 1000, 600)]));
    expect(again.states.map((s) => s.remaining)).toEqual([9, 9, 400]);
  });

  it('a denied oversized token request does not eat the window', async () => {
    const store = createRateLimitStore();
    expect((await store.consume([tok('key:k1', 1000, 5000)])).ok).toBe(false);
    expect(okOf(await store.consume([tok('key:k1', 1000, 900)])).states[0]?.remaining).toBe(100);
  });

  it.each([
    { name: 'refunds an overestimate', estimate: 1000, actual: 400, remaining: 4600 },
    { name: 'charges an underestimate', estimate: 1000, actual: 1500, remaining: 3500 },
    { name: 'leaves an exact estimate', estimate: 1000, actual: 1000, remaining: 4000 },
    { name: 'refunds a stream aborted before any output', estimate: 1000, actual: 0, remaining: 5000 },
  ])('adjust $name', async ({ estimate, actual, remaining }) => {
    const store = createRateLimitStore();
    const first = okOf(await store.consume([req('key:k1', 100), tok('key:k1', 5000, estimate)]));
    await store.adjust(first.ticket, 'tokens', actual);
    const after = okOf(await store.consume([tok('key:k1', 5000, 0)]));
    expect(after.states[0]?.remaining).toBe(remaining);
    // the requests counter is a different dimension and stays as consumed
    expect(okOf(await store.consume([req('key:k1', 100)])).states[0]?.remaining).toBe(98);
  });

  it('does not refund into a window that has already reset', async () => {
    let clock = Date.now();
    const store = createRateLimitStore({ now: () => clock });
    const first = okOf(await store.consume([tok('key:k1', 5000, 1000)]));
    clock += 61_000;
    await store.adjust(first.ticket, 'tokens', 0);
    expect(okOf(await store.consume([tok('key:k1', 5000, 0)])).states[0]?.remaining).toBe(4000);
  });

  it('keeps per-tool counters apart, and keys apart from teams', async () => {
    const store = createRateLimitStore();
    const tool = (subject: string): RateCheck => ({ scope: 'key:k1', dimension: 'tool_calls', subject, limitPerMinute: 1 });
    expect((await store.consume([tool('github__search')])).ok).toBe(true);
    expect((await store.consume([tool('github__search')])).ok).toBe(false);
    expect((await store.consume([tool('fs__read_file')])).ok).toBe(true);
    expect((await store.consume([req('key:k2', 1)])).ok).toBe(true);
    expect((await store.consume([req('team:k2', 1)])).ok).toBe(true);
  });

  it('rejects fractional points', async () => {
    await expect(createRateLimitStore().consume([tok('key:k1', 10, 1.5)])).rejects.toThrow(RangeError);
  });
});

describe('rateLimitHeaders', () => {
  it('reports the tightest limit per dimension, OpenAI-style', () => {
    const headers = rateLimitHeaders({
      ok: true,
      ticket: { entries: [] },
      states: [
        { scope: 'key:k1', dimension: 'requests', limit: 60, remaining: 59, resetMs: 1000 },
        { scope: 'team:t1', dimension: 'requests', limit: 600, remaining: 10, resetMs: 20_000 },
        { scope: 'key:k1', dimension: 'tokens', limit: 90_000, remaining: 89_000, resetMs: 360_000 },
        { scope: 'key:k1', dimension: 'tool_calls', subject: 'x', limit: 5, remaining: 0, resetMs: 5 },
      ],
    });
    expect(headers).toEqual({
      'x-ratelimit-limit-requests': '600',
      'x-ratelimit-remaining-requests': '10',
      'x-ratelimit-reset-requests': '20s',
      'x-ratelimit-limit-tokens': '90000',
      'x-ratelimit-remaining-tokens': '89000',
      'x-ratelimit-reset-tokens': '6m0s',
    });
  });

  it('adds retry-after on a denial', () => {
    const denied = { scope: 'key:k1', dimension: 'requests' as const, limit: 1, remaining: 0, resetMs: 1500 };
    expect(rateLimitHeaders({ ok: false, denied, retryAfterSec: 2, states: [denied] })).toMatchObject({ 'retry-after': '2', 'x-ratelimit-reset-requests': '1.5s' });
  });

  it.each([
    [20, '20ms'],
    [999, '999ms'],
    [1000, '1s'],
    [6500, '6.5s'],
    [59_999, '59.999s'],
    [60_000, '1m0s'],
    [125_250, '2m5.25s'],
  ])('formats %i ms as %s', (ms, text) => {
    expect(formatResetDuration(ms)).toBe(text);
  });
});
