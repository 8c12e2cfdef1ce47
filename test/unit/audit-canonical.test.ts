// The fast canonical text and hashes against the algorithm every stored row was hashed with: same bytes, so old rows verify.
import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonical, canonicalWalk, eventHash, HASHED_FIELDS, LATER_FIELDS, payloadHash, sha256 } from '../../src/tracing/audit-chain.js';
import { runSliced } from '../../src/storage/storable.js';

/** Runs a stepping walk to the end in one go. */
function runSync<T>(walk: Generator<void, T>): T {
  for (;;) {
    const r = walk.next();
    if (r.done) return r.value;
  }
}

// ---- The reference: audit-chain.ts as it was before the fast path, kept verbatim. ----
class Raw {
  constructor(readonly text: string) {}
}

function* referenceWalk(value: unknown): Generator<void, string> {
  const out: string[] = [];
  const stack: unknown[] = [value];
  let n = 0;
  while (stack.length) {
    if ((++n & 1023) === 0) yield;
    const v = stack.pop();
    if (v instanceof Raw) out.push(v.text);
    else if (v === null || v === undefined) out.push('null');
    else if (v instanceof Date) out.push(JSON.stringify(v.toISOString()));
    else if (Array.isArray(v)) {
      out.push('[');
      stack.push(new Raw(']'));
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push(v[i] ?? null);
        if (i > 0) stack.push(new Raw(','));
      }
    } else if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      out.push('{');
      stack.push(new Raw('}'));
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i]!;
        stack.push(x, new Raw(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`));
      }
    } else if (typeof v === 'number') out.push(Number.isFinite(v) ? JSON.stringify(v) : 'null');
    else if (typeof v === 'bigint') out.push(v.toString());
    else out.push(JSON.stringify(v) ?? 'null');
  }
  return out.join('');
}
const reference = (v: unknown) => runSync(referenceWalk(v));
const referenceSha = (s: string) => createHash('sha256').update(s).digest('hex');

function referenceEventHash(row: Record<string, unknown>, payloadDigest: string | null): string {
  const content: Record<string, unknown> = { v: 1, payloadHash: payloadDigest };
  for (const f of HASHED_FIELDS) content[f] = row[f] ?? null;
  for (const f of LATER_FIELDS) if (row[f] != null) content[f] = row[f];
  return referenceSha(reference(content));
}
// ---- end of reference ----

/** Keys that sort differently by code unit than by code point or locale, clash with Object.prototype, or look like indices. */
const key = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 8 }),
  fc.string({ unit: 'grapheme', maxLength: 4 }),
  fc.constantFrom('', 'a', 'B', '_', '10', '9', '-1', '01', '__proto__', 'constructor', 'toString', '\ud800', '\udfff', '\uffff', '\ud83d\ude00', 'é', 'e\u0301', '"', '\\', '\u0000'),
);
const number = fc.oneof(
  fc.double(),
  fc.integer(),
  fc.constantFrom(-0, 0, Number.NaN, Infinity, -Infinity, Number.MAX_VALUE, Number.MIN_VALUE, -Number.MAX_VALUE, Number.MAX_SAFE_INTEGER + 2, 1e21, 1e-7, 123e-20, 0.1 + 0.2),
);
const leafValue = fc.oneof(
  fc.jsonValue({ maxDepth: 0 }),
  number,
  fc.string({ unit: 'binary' }),
  fc.bigInt(),
  fc.date({ noInvalidDate: true }),
  fc.constantFrom(undefined, null, true, false, () => 1, Symbol('s')),
);
/** JSON-like values and what a client or the code can slip in: undefined, dates, bigints, functions, holes, odd keys. */
const wild = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leafValue, tie('array'), tie('object')),
  array: fc.oneof(fc.array(tie('value'), { maxLength: 6 }), fc.sparseArray(tie('value'), { maxLength: 6 })),
  object: fc.oneof(fc.dictionary(key, tie('value'), { maxKeys: 6 }), fc.dictionary(key, tie('value'), { maxKeys: 6, noNullPrototype: true })),
})).value;

describe('canonical text', () => {
  it('is byte for byte the text the chain has always hashed, for JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonical(v)).toBe(reference(v));
      }),
      { numRuns: 500 },
    );
  });

  it('is byte for byte the same for undefined, dates, bigints, -0, non-finite numbers, holes and odd keys', () => {
    fc.assert(
      fc.property(wild, (v) => {
        const want = reference(v);
        expect(canonical(v)).toBe(want);
        expect(runSync(canonicalWalk(v))).toBe(want);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps both behaviours on values that are not plain data', () => {
    const odd = [new Map([[1, 2]]), new Set([1]), Object.assign(Object.create({ inherited: 1 }), { own: 2 }), Buffer.from('hi'), new Uint8Array([1, 2]), Object(5), Object('ab'), [undefined, () => 1, Symbol('x')], { f: () => 1, s: Symbol('y'), u: undefined }];
    for (const v of odd) expect(canonical(v)).toBe(reference(v));
    expect(() => canonical({ d: new Date(Number.NaN) })).toThrow(RangeError);
    expect(() => reference({ d: new Date(Number.NaN) })).toThrow(RangeError);
  });

  it('survives 10,000 levels of nesting of arrays, objects and both, without a stack overflow', () => {
    const shapes: Array<(inner: unknown, i: number) => unknown> = [(x) => [x], (x) => ({ a: x }), (x, i) => (i % 2 ? [1, x, 'z'] : { z: 1, a: x, m: [] })];
    for (const wrap of shapes) {
      let deep: unknown = 'bottom';
      for (let i = 0; i < 10_000; i++) deep = wrap(deep, i);
      expect(canonical(deep)).toBe(reference(deep));
    }
  });

  it('yields while writing a large payload, and the sliced text equals the one-go text', async () => {
    const big = { messages: Array.from({ length: 20_000 }, (_, i) => ({ role: i % 2 ? 'user' : 'assistant', content: `message ${i} ${'x'.repeat(i % 50)}` })) };
    let yields = 0;
    const walk = canonicalWalk(big);
    for (let r = walk.next(); !r.done; r = walk.next()) yields++;
    expect(yields).toBeGreaterThan(10);
    const sliced = await runSliced(canonicalWalk(big), 0);
    expect(sliced).toBe(canonical(big));
    expect(sliced).toBe(reference(big));
  });
});

describe('hashes', () => {
  it('sha256 is the createHash digest of the UTF-8 text, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (s) => {
        expect(sha256(s)).toBe(referenceSha(s));
      }),
    );
    expect(sha256('a\ud800b')).toBe(referenceSha('a\ud800b'));
  });

  it('payload hashes are unchanged', () => {
    fc.assert(
      fc.property(wild, (v) => {
        expect(payloadHash(v)).toBe(v === null || v === undefined ? null : referenceSha(reference(v)));
      }),
      { numRuns: 300 },
    );
  });

  it('event hashes are unchanged, with later columns hashed only when set', () => {
    const field = fc.oneof(fc.constantFrom(undefined, null, '', 0, -0, true), fc.string({ unit: 'binary', maxLength: 20 }), fc.integer(), fc.date({ noInvalidDate: true }), fc.dictionary(key, fc.integer(), { maxKeys: 3 }));
    const fields = [...HASHED_FIELDS, ...LATER_FIELDS];
    const row = fc.record(Object.fromEntries(fields.map((f) => [f, field])) as Record<(typeof fields)[number], typeof field>, { requiredKeys: [] });
    fc.assert(
      fc.property(row, fc.option(fc.string({ unit: fc.constantFrom(...'0123456789abcdef'), minLength: 64, maxLength: 64 })), (r, digest) => {
        expect(eventHash(r, digest)).toBe(referenceEventHash(r, digest));
      }),
      { numRuns: 500 },
    );
  });

  it('known rows keep their known hashes (computed with the algorithm before the fast path)', () => {
    const payload = { request: { model: 'm', messages: [{ role: 'user', content: 'hi 😀 "q"' }], temperature: 0.2, n: -0 }, response: { id: 'x', choices: [{ index: 0, message: { role: 'assistant', content: 'hello\n' } }] } };
    expect(canonical(payload)).toBe('{"request":{"messages":[{"content":"hi 😀 \\"q\\"","role":"user"}],"model":"m","n":0,"temperature":0.2},"response":{"choices":[{"index":0,"message":{"content":"hello\\n","role":"assistant"}}],"id":"x"}}');
    expect(payloadHash(payload)).toBe('c52e35ebe53a97a83577a9e91cdcbc68250a67b81ac96dba868e2a32c0964867');
    const row = { eventId: 'e-1', keyId: 'k1', sessionId: 's', seq: 1, time: new Date(Date.UTC(2026, 0, 2)), kind: 'tool_call', requestId: 'r1', toolName: 'fs__read', status: 200, decision: 'allowed', findings: { email: 2, é: 1, Z: 3 }, prevHash: '' };
    expect(eventHash(row, payloadHash(payload))).toBe('34cb5c5af5d6199681496ca46b6dfc4930ed497a120eec684b1b38b5a5f31e1e');
    expect(eventHash({ ...row, door: 'chat' }, null)).toBe('2cd0481bb66ecd5f889775b5a314848e3356c9bfff7952edbab3ce4b3bee96aa');
  });
});
