// The audit hash chain: canonical serialisation, hashes, and the verifier naming the first broken link.
import { describe, expect, it } from 'vitest';
import { canonical, createChainVerifier, eventHash, payloadHash } from '../../src/tracing/audit-chain.js';
import { storableSync, storableText } from '../../src/storage/storable.js';
import { buildBatch, type PendingEvent } from '../../src/tracing/audit-writer.js';
import type { AuditEventRow } from '../../src/storage/schema.js';

describe('canonical', () => {
  it('sorts keys at every level, drops undefined, keeps null, writes dates as ISO', () => {
    expect(canonical({ b: 1, a: { d: [1, { z: null, y: 'x' }], c: undefined } })).toBe('{"a":{"d":[1,{"y":"x","z":null}]},"b":1}');
    expect(canonical(new Date(Date.UTC(2026, 0, 2)))).toBe('"2026-01-02T00:00:00.000Z"');
    expect(canonical({ x: 1 })).toBe(canonical(JSON.parse('{"x":1.0}')));
  });
  it('gives the same payload hash whatever the key order (jsonb reorders keys)', () => {
    expect(payloadHash({ a: 1, b: [2, 3] })).toBe(payloadHash({ b: [2, 3], a: 1 }));
    expect(payloadHash(null)).toBeNull();
  });
  it('matches the recursive definition it replaced, and survives nesting that would overflow a recursive walk', () => {
    const recursive = (v: unknown): string => {
      if (v === null || v === undefined) return 'null';
      if (Array.isArray(v)) return `[${v.map(recursive).join(',')}]`;
      if (typeof v === 'object') {
        const e = Object.entries(v as Record<string, unknown>).filter(([, x]) => x !== undefined).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
        return `{${e.map(([k, x]) => `${JSON.stringify(k)}:${recursive(x)}`).join(',')}}`;
      }
      return JSON.stringify(v);
    };
    const sample = { z: [1, 'two', { b: null, a: [true, false, 1.5, -0, 'é\ud83d\ude00'] }], a: { '': 0, 'k"q': 'x\ny' }, m: [] };
    expect(canonical(sample)).toBe(recursive(sample));
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(canonical(deep)).toHaveLength(200_001);
  });
});

describe('storable values', () => {
  it('makes text Postgres takes: lone surrogates to U+FFFD, NUL removed, pairs kept, cut at a length', () => {
    expect(storableText('a\ud800b\udc00c\u0000d\ud83d\ude00')).toBe('a\uFFFDb\uFFFDcd\ud83d\ude00');
    expect(storableText('x'.repeat(20), 5)).toBe('xxxxx…[cut 15 chars]');
    // A cut through a surrogate pair leaves no lone half behind.
    expect(storableText('ab\ud83d\ude00', 3)).toBe('ab\uFFFD…[cut 1 chars]');
  });
  it('copies without recursion, caps depth and size, and cleans keys', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 50_000; i++) deep = { a: deep };
    const r = storableSync({ 'k\u0000': ['a\u0000b'], deep }, { maxDepth: 8, maxBytes: 1 << 20 });
    expect(r.truncated).toBe(true);
    expect((r.value as Record<string, unknown>).k).toEqual(['ab']);
    expect(JSON.stringify(r.value)).toContain('[cut: nested deeper than 8]');
    const big = storableSync({ list: Array.from({ length: 10_000 }, (_, i) => `item ${i}`) }, { maxDepth: 8, maxBytes: 1000 });
    expect(big.truncated).toBe(true);
    expect(JSON.stringify(big.value).length).toBeLessThan(1200);
    expect((big.value as { list: string[] }).list[0]).toBe('item 0');
    expect(storableSync({ n: Number.NaN, i: Infinity, b: 10n, d: new Date(0), u: undefined, f: [undefined] }, { maxDepth: 8, maxBytes: 1000 }).value).toEqual({
      n: null, i: null, b: '10', d: '1970-01-01T00:00:00.000Z', f: [null],
    });
  });
});

function pending(session: string, n: number, payload: unknown = null): PendingEvent {
  return {
    event: { eventId: `e-${session}-${n}`, keyId: 'k1', sessionId: session, time: new Date(1_700_000_000_000 + n).toISOString(), kind: 'tool_call', requestId: `r${n}`, toolName: 'fs__read', status: 200, decision: 'allowed' },
    payload,
    session: { teamId: null, clientName: null, clientVersion: null, userAgent: null },
    delta: { calls: 1, inputTokens: 0, outputTokens: 0, costMicros: 0, denials: 0, redactions: 0 },
  };
}
const prep = (p: PendingEvent) => ({ ...p, digest: payloadHash(p.payload), size: JSON.stringify(p.payload ?? '').length });

function rowsFor(events: PendingEvent[], tips = new Map()) {
  const built = buildBatch(events.map(prep), tips, new Set(), 64);
  return built.events.map((e, i) => ({ ...e, id: i + 1, payload: e.payload ?? null, payloadId: e.payloadId ?? null }) as AuditEventRow);
}

describe('chain', () => {
  it('assigns seq and prev_hash per session in order, continuing from the tip', () => {
    const tips = new Map([['k1\nb', { lastSeq: 7, lastHash: 'abc' }]]);
    const rows = rowsFor([pending('a', 1), pending('b', 2), pending('a', 3)], tips);
    expect(rows.map((r) => [r.sessionId, r.seq])).toEqual([['a', 1], ['b', 8], ['a', 2]]);
    expect(rows[0]!.prevHash).toBe('');
    expect(rows[1]!.prevHash).toBe('abc');
    expect(rows[2]!.prevHash).toBe(rows[0]!.hash);
    expect(tips.get('k1\na')).toEqual({ lastSeq: 2, lastHash: rows[2]!.hash });
  });

  it('moves large payloads to the side table and still hashes them', () => {
    const big = { text: 'x'.repeat(200) };
    const built = buildBatch([prep(pending('a', 1, big)), prep(pending('a', 2, { s: 1 }))], new Map(), new Set(), 64);
    expect(built.payloads).toEqual([{ id: 'e-a-1', payload: big }]);
    expect(built.events[0]).toMatchObject({ payload: null, payloadId: 'e-a-1' });
    expect(built.events[1]).toMatchObject({ payload: { s: 1 }, payloadId: null });
  });

  it('verifies a good chain and names the first edited, reordered or missing row', () => {
    const rows = rowsFor([1, 2, 3, 4].map((n) => pending('a', n, { n })));
    const verify = (rs: AuditEventRow[], tip = { lastSeq: 4, lastHash: rows[3]!.hash }) => {
      const v = createChainVerifier({ seq: 1, hash: '' });
      for (const r of rs) v.push(r, r.payload);
      return v.end(tip);
    };
    expect(verify(rows)).toEqual({ ok: true, checked: 4, broken: null });
    const edited = rows.map((r) => (r.seq === 2 ? { ...r, status: 500 } : r));
    expect(verify(edited).broken).toMatchObject({ seq: 2, problem: 'hash_mismatch' });
    const payloadEdit = rows.map((r) => (r.seq === 3 ? { ...r, payload: { n: 99 } } : r));
    expect(verify(payloadEdit).broken).toMatchObject({ seq: 3, problem: 'hash_mismatch' });
    expect(verify([rows[0]!, rows[2]!, rows[3]!]).broken).toMatchObject({ seq: 3, problem: 'seq_gap' });
    expect(verify(rows.slice(0, 3)).broken).toMatchObject({ seq: 4, problem: 'tail_missing' });
    // Re-hashing an edited row does not help: the next row's prev_hash no longer matches.
    const rehashed = rows.map((r) => (r.seq === 2 ? { ...r, status: 500, hash: eventHash({ ...r, status: 500 }, payloadHash(r.payload)) } : r));
    expect(verify(rehashed).broken).toMatchObject({ seq: 3, problem: 'prev_hash_mismatch' });
  });

  it('starts a session cut by retention at its anchor', () => {
    const rows = rowsFor([1, 2, 3].map((n) => pending('a', n)));
    const v = createChainVerifier({ seq: 2, hash: rows[0]!.hash });
    for (const r of rows.slice(1)) v.push(r, r.payload);
    expect(v.end({ lastSeq: 3, lastHash: rows[2]!.hash }).ok).toBe(true);
  });
});
