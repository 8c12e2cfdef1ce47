// The response cache's parts: canonical keys and scopes, client directives, and the in-process store's TTL and byte bound.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createMemoryStore } from '../../src/cache/memory-store.js';
import { deterministic, exactKey, finalTurn, routedModel, scopeOf } from '../../src/cache/request-key.js';
import { cacheDirectives } from '../../src/http/cache-directives.js';
import { GatewayError } from '../../src/errors.js';
import type { Principal } from '../../src/policy/types.js';

const principal = (keyId: string, teamId: string | null = null): Principal => ({ keyId, teamId, key: null, team: null, metadata: {} });
const parts = { door: 'chat', routed: 'up/gpt', stream: false, scope: 'key:a|pii:off' };

/** The same object with its members in reverse order, all the way down. */
function reversed(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reversed);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).reverse().map(([k, x]) => [k, reversed(x)]));
  return v;
}

describe('exact keys', () => {
  it('do not depend on member order, and change with any answer-changing field', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }), (body) => {
        expect(exactKey({ ...parts, body: reversed(body) })).toBe(exactKey({ ...parts, body }));
      }),
    );
    const body = { model: 'm', messages: [{ role: 'user', content: 'hi' }], temperature: 0 };
    const k = exactKey({ ...parts, body });
    expect(exactKey({ ...parts, body: { ...body, temperature: 0.1 } })).not.toBe(k);
    expect(exactKey({ ...parts, body: { ...body, messages: [{ role: 'user', content: 'hi!' }] } })).not.toBe(k);
    expect(exactKey({ ...parts, stream: true, body })).not.toBe(k);
    expect(exactKey({ ...parts, scope: 'key:b|pii:off', body })).not.toBe(k);
    // Labels that do not change the answer do not split the cache.
    expect(exactKey({ ...parts, body: { ...body, user: 'u1', metadata: { a: '1' }, store: true } })).toBe(k);
  });

  it('name an alias by its target set, in any order', () => {
    const t = (key: string) => ({ key }) as never;
    expect(routedModel({ alias: 'fast', candidates: [t('a/x'), t('b/y')] })).toBe(routedModel({ alias: 'fast', candidates: [t('b/y'), t('a/x')] }));
    expect(routedModel({ alias: null, candidates: [t('a/x')] })).toBe('a/x');
  });
});

describe('scopes', () => {
  it('keep a block-mode key to itself and separate PII modes', () => {
    expect(scopeOf(principal('k', 't'), 'team', 'off')).toBe('team:t|pii:off');
    expect(scopeOf(principal('k', 't'), 'team', 'block')).toBe('key:k|pii:block');
    expect(scopeOf(principal('k', 't'), 'global', 'block')).toBe('key:k|pii:block');
    expect(scopeOf(principal('k', null), 'team', 'off')).toBe('key:k|pii:off');
    expect(scopeOf(principal('k'), 'global', 'redact')).not.toBe(scopeOf(principal('k'), 'global', 'off'));
  });

  it('cache only greedy requests by default', () => {
    const chat = (x: object) => ({ model: 'm', messages: [{ role: 'user' as const, content: 'q' }], ...x });
    expect(deterministic(chat({ temperature: 0 }))).toBe(true);
    expect(deterministic(chat({}))).toBe(false);
    expect(deterministic(chat({ temperature: 0.2 }))).toBe(false);
    expect(deterministic(undefined)).toBe(true);
  });

  it('split the final user turn from a context that must match exactly', () => {
    const a = finalTurn({ model: 'm', messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'What is 2+2?' }] }, parts)!;
    const b = finalTurn({ model: 'm', messages: [{ role: 'system', content: 's' }, { role: 'user', content: 'what is two plus two' }] }, parts)!;
    const c = finalTurn({ model: 'm', messages: [{ role: 'system', content: 'other' }, { role: 'user', content: 'What is 2+2?' }] }, parts)!;
    expect(a.text).toBe('What is 2+2?');
    expect(a.contextHash).toBe(b.contextHash);
    expect(c.contextHash).not.toBe(a.contextHash);
    expect(finalTurn({ model: 'm', messages: [{ role: 'assistant', content: 'x' }] }, parts)).toBeNull();
  });
});

describe('client directives', () => {
  it('read cache-control and a TTL in seconds, refusing anything else with a 400', () => {
    expect(cacheDirectives(undefined, undefined)).toBeUndefined();
    expect(cacheDirectives('No-Store', undefined)).toEqual({ noStore: true });
    expect(cacheDirectives('max-age=0, no-cache', '60')).toEqual({ refresh: true, ttlMs: 60_000 });
    fc.assert(
      fc.property(fc.string({ maxLength: 20 }), (s) => {
        try {
          const d = cacheDirectives(undefined, s)!;
          expect(d.ttlMs! % 1000).toBe(0);
          expect(d.ttlMs).toBeGreaterThan(0);
        } catch (err) {
          expect(err).toBeInstanceOf(GatewayError);
          expect((err as GatewayError).status).toBe(400);
        }
      }),
    );
    expect(() => cacheDirectives(undefined, '0')).toThrow(GatewayError);
    expect(() => cacheDirectives(undefined, '99999999')).toThrow(GatewayError);
  });
});

describe('in-process store', () => {
  it('expires entries at their TTL', async () => {
    let now = 1_000;
    const store = createMemoryStore(1 << 20, () => now);
    await store.set('k', 'v', 5_000);
    now += 4_999;
    expect(await store.get('k')).toBe('v');
    now += 1;
    expect(await store.get('k')).toBeNull();
    expect(await store.stats()).toEqual({ entries: 0, bytes: 0 });
  });

  it('stays under its byte bound, dropping the least recently used first', async () => {
    const store = createMemoryStore(300);
    for (const k of ['a', 'b', 'c']) await store.set(k, 'x'.repeat(99), 60_000); // 100 bytes each with the key
    await store.get('a'); // a is now the most recently used
    await store.set('d', 'x'.repeat(99), 60_000);
    expect(await store.get('b')).toBeNull();
    expect(await store.get('a')).not.toBeNull();
    expect((await store.stats()).bytes).toBeLessThanOrEqual(300);
    await store.set('huge', 'x'.repeat(1_000), 60_000);
    expect(await store.get('huge')).toBeNull();
  });
});
