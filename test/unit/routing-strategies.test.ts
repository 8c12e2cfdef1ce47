// Strategy ordering: weighted shares with a seeded RNG, round-robin rotation, least-latency with exploration, cost, fallback order.
import { describe, expect, it } from 'vitest';
import { createHealthRegistry } from '../../src/routing/health.js';
import { matchRule } from '../../src/routing/rules.js';
import { AliasSchema, RoutingSchema } from '../../src/routing/schema.js';
import { createRng, order, type Target, type TargetGroup } from '../../src/routing/strategies.js';
import type { Provider } from '../../src/providers/types.js';

const health = createHealthRegistry(RoutingSchema.parse({}));
const provider = { id: 'p' } as Provider;
const t = (key: string, weight = 1, price = 1): Target => ({
  key, provider, model: key, weight, timeouts: null, health: health.target(`strategies/${key}`), budget: health.budget('p'), price,
});

describe('strategies', () => {
  it('weighted: first picks follow the weights within tolerance, and the rest are the fallbacks', () => {
    const g: TargetGroup = { strategy: 'weighted', targets: [t('a', 3), t('b', 1)], cursor: 0 };
    const rand = createRng(42);
    const counts = { a: 0, b: 0 };
    for (let i = 0; i < 4000; i++) {
      const o = order(g, rand, 0);
      counts[o[0]!.key as 'a' | 'b']++;
      expect(o.map((x) => x.key).sort()).toEqual(['a', 'b']);
    }
    expect(counts.a / 4000).toBeGreaterThan(0.72);
    expect(counts.a / 4000).toBeLessThan(0.78);
  });

  it('round-robin rotates the primary', () => {
    const g: TargetGroup = { strategy: 'round-robin', targets: [t('a'), t('b'), t('c')], cursor: 0 };
    const firsts = Array.from({ length: 6 }, () => order(g, Math.random, 0)[0]!.key);
    expect(firsts).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(order(g, Math.random, 0).map((x) => x.key)).toEqual(['a', 'b', 'c']);
    expect(order(g, Math.random, 0).map((x) => x.key)).toEqual(['b', 'c', 'a']);
  });

  it('least-latency prefers the fastest measured target, penalises errors, and explores', () => {
    const fast = t('fast');
    const slow = t('slow');
    const flaky = t('flaky');
    for (let i = 0; i < 5; i++) {
      fast.health.recordSuccess(100);
      slow.health.recordSuccess(400);
      flaky.health.recordSuccess(80);
    }
    for (let i = 0; i < 5; i++) flaky.health.recordFailure();
    const g: TargetGroup = { strategy: 'least-latency', targets: [slow, flaky, fast], cursor: 0 };
    expect(order(g, () => 0.99, 0.05).map((x) => x.key)).toEqual(['fast', 'flaky', 'slow']);
    // An exploring pick moves another target to the front.
    expect(order(g, () => 0.01, 0.05)[0]!.key).not.toBe('fast');
  });

  it('fallback and cost keep the configured (pre-sorted) order', () => {
    const g: TargetGroup = { strategy: 'fallback', targets: [t('x'), t('y')], cursor: 0 };
    expect(order(g, Math.random, 0.5).map((x) => x.key)).toEqual(['x', 'y']);
  });

  it('percentile of recent latencies needs enough samples', () => {
    const h = health.target('strategies/p');
    for (let i = 1; i <= 10; i++) h.recordSuccess(i * 10);
    expect(h.percentile(90, 20)).toBeNull();
    expect(h.percentile(90, 5)).toBe(100);
    expect(h.percentile(50, 5)).toBe(60);
  });
});

describe('rules', () => {
  const alias = AliasSchema.parse({
    targets: [{ model: 'a/x' }],
    rules: [
      { name: 'long', when: { minInputTokens: 1000 }, targets: [{ model: 'a/long' }] },
      { name: 'batch', when: { tag: ['batch', 'bulk'] }, targets: [{ model: 'a/cheap' }] },
      { when: { tools: true, team: 'ml' }, targets: [{ model: 'a/tools' }] },
      { when: { images: true }, targets: [{ model: 'a/vision' }] },
    ],
  });
  const chat = (content: string, extra: Record<string, unknown> = {}) => ({ model: 'm', messages: [{ role: 'user' as const, content }], ...extra });
  const base = { keyId: null, team: null, tag: null };

  it('matches the first rule whose conditions all hold', () => {
    expect(matchRule(alias.rules, { ...base, chat: chat('hi') })).toBe(-1);
    expect(matchRule(alias.rules, { ...base, chat: chat('x'.repeat(5000)) })).toBe(0);
    expect(matchRule(alias.rules, { ...base, tag: 'bulk', chat: chat('hi') })).toBe(1);
    const tools = [{ type: 'function' as const, function: { name: 'f' } }];
    expect(matchRule(alias.rules, { ...base, chat: chat('hi', { tools }) })).toBe(-1);
    expect(matchRule(alias.rules, { ...base, team: 'ml', chat: chat('hi', { tools }) })).toBe(2);
    const img = { model: 'm', messages: [{ role: 'user' as const, content: [{ type: 'image_url' as const, image_url: { url: 'data:,' } }] }] };
    expect(matchRule(alias.rules, { ...base, chat: img })).toBe(3);
    expect(matchRule(alias.rules, { ...base })).toBe(-1);
  });
});
