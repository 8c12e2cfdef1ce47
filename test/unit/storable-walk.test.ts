// The stepping storable copy against the walk it replaced: the same stored value, key order and cut, whatever the input.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { runSliced, storableSync, storableText, storableWalk, type Storable, type StorableLimits } from '../../src/storage/storable.js';

/** Runs a stepping walk to the end in one go. */
function runSync<T>(walk: Generator<void, T>): T {
  for (;;) {
    const r = walk.next();
    if (r.done) return r.value;
  }
}

// ---- The reference: storableWalk as it was before the stepping copier, kept verbatim. ----
type Container = Record<string, unknown> | unknown[];
interface Job {
  src: unknown;
  dst: Container;
  key: string | null;
  depth: number;
}
const isPlain = (v: unknown): v is object => typeof v === 'object' && v !== null && !(v instanceof Date);

function* referenceWalk(value: unknown, limits: StorableLimits): Generator<void, Storable> {
  const root: Record<string, unknown> = {};
  const stack: Job[] = [{ src: value, dst: root, key: 'v', depth: 0 }];
  let budget = limits.maxBytes;
  let truncated = false;
  let n = 0;
  const put = (job: Job, v: unknown) => {
    if (job.key === null) (job.dst as unknown[]).push(v);
    else (job.dst as Record<string, unknown>)[job.key] = v;
  };
  while (stack.length) {
    if ((++n & 511) === 0) yield;
    const job = stack.pop()!;
    const src = job.src;
    if (budget <= 0) {
      truncated = true;
      break;
    }
    if (typeof src === 'string') {
      const keep = Math.min(src.length, Math.max(0, budget));
      if (keep < src.length) truncated = true;
      const text = storableText(src, keep);
      budget -= text.length + 2;
      put(job, text);
    } else if (typeof src === 'number') {
      budget -= 8;
      put(job, Number.isFinite(src) ? src : null);
    } else if (typeof src === 'boolean' || src === null) {
      budget -= 5;
      put(job, src);
    } else if (typeof src === 'bigint') {
      budget -= 20;
      put(job, src.toString());
    } else if (src instanceof Date) {
      budget -= 26;
      put(job, Number.isNaN(src.getTime()) ? null : src.toISOString());
    } else if (isPlain(src)) {
      if (job.depth >= limits.maxDepth) {
        truncated = true;
        put(job, `[cut: nested deeper than ${limits.maxDepth}]`);
        continue;
      }
      budget -= 2;
      if (Array.isArray(src)) {
        const out: unknown[] = [];
        put(job, out);
        for (let i = src.length - 1; i >= 0; i--) stack.push({ src: src[i] ?? null, dst: out, key: null, depth: job.depth + 1 });
      } else {
        const out: Record<string, unknown> = {};
        put(job, out);
        const keys = Object.keys(src);
        for (let i = keys.length - 1; i >= 0; i--) {
          const k = keys[i]!;
          const v = (src as Record<string, unknown>)[k];
          if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
          const key = storableText(k, 256);
          budget -= key.length + 3;
          stack.push({ src: v, dst: out, key, depth: job.depth + 1 });
        }
      }
    } else if (job.key === null) {
      put(job, null);
    }
  }
  if (stack.length) truncated = true;
  return { value: root.v, truncated };
}
// ---- end of reference ----

/** A bracket or key in `describe_`'s output, told apart from string values. */
class Tok {
  constructor(readonly text: string) {}
}

/** A copy written out with key order and any prototype a `__proto__` key set; iterative, for deep values. */
function describe_(value: unknown): string {
  const out: string[] = [];
  const stack: unknown[] = [value];
  while (stack.length) {
    const v = stack.pop();
    if (v instanceof Tok) out.push(v.text);
    else if (typeof v !== 'object' || v === null) out.push(typeof v === 'string' ? JSON.stringify(v) : `${typeof v}:${String(v)}`);
    else {
      const proto = Object.getPrototypeOf(v) as unknown;
      out.push(Array.isArray(v) ? '[' : '{');
      stack.push(new Tok(Array.isArray(v) ? ']' : '}'));
      const keys = Object.keys(v);
      for (let i = keys.length - 1; i >= 0; i--) stack.push((v as Record<string, unknown>)[keys[i]!], new Tok(`${JSON.stringify(keys[i])}:`));
      if (proto !== Object.prototype && proto !== Array.prototype) stack.push(proto, new Tok('proto:'));
    }
  }
  return out.join(' ');
}

/** Same value, same key order, same prototypes, same cut flag. */
function expectSame(got: Storable, want: Storable) {
  expect(got.truncated).toBe(want.truncated);
  expect(describe_(got.value)).toBe(describe_(want.value));
}

const text = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }),
  fc.constantFrom('', 'a\u0000b', '\ud800', 'x\udfffy', '\ud83d\ude00', 'x'.repeat(300)),
);
const key = fc.oneof(text, fc.constantFrom('a', 'a\u0000', '__proto__', 'constructor', '10', '9', 'k'.repeat(300)));
const leaf = fc.oneof(
  fc.jsonValue({ maxDepth: 0 }),
  text,
  fc.double(),
  fc.bigInt(),
  fc.date(), // invalid dates too: stored as null
  fc.constantFrom(undefined, null, -0, Number.NaN, Infinity, () => 1, Symbol('s')),
);
const wild = fc.letrec((tie) => ({
  value: fc.oneof({ depthSize: 'small', withCrossShrink: true }, leaf, tie('array'), tie('object')),
  array: fc.oneof(fc.array(tie('value'), { maxLength: 6 }), fc.sparseArray(tie('value'), { maxLength: 6 })),
  object: fc.dictionary(key, tie('value'), { maxKeys: 6 }),
})).value;
const limits = fc.record({ maxDepth: fc.integer({ min: 0, max: 8 }), maxBytes: fc.oneof(fc.integer({ min: -10, max: 400 }), fc.constant(1 << 20)) });

describe('storable copy', () => {
  it('stores exactly what the walk it replaced stored, cut at the same place', () => {
    fc.assert(
      fc.property(wild, limits, (v, l) => {
        const want = runSync(referenceWalk(v, l));
        expectSame(storableSync(v, l), want);
        expectSame(runSync(storableWalk(v, l)), want);
      }),
      { numRuns: 1500 },
    );
  });

  it('gives the same copy and cut on large payloads, sliced or in one go', async () => {
    const big = { model: 'm', messages: Array.from({ length: 5000 }, (_, i) => ({ role: 'user', content: `m${i} ${'é'.repeat(i % 40)}\u0000`, n: i, u: undefined })), tail: 'end' };
    for (const l of [{ maxDepth: 64, maxBytes: 1 << 22 }, { maxDepth: 64, maxBytes: 100_000 }, { maxDepth: 2, maxBytes: 1 << 22 }]) {
      const want = runSync(referenceWalk(big, l));
      expectSame(storableSync(big, l), want);
      expectSame(await runSliced(storableWalk(big, l), 0), want);
    }
  });

  it('copies 10,000 levels of nesting without recursion', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 10_000; i++) deep = i % 2 ? [deep] : { a: deep };
    const l = { maxDepth: 20_000, maxBytes: 1 << 20 };
    expectSame(storableSync(deep, l), runSync(referenceWalk(deep, l)));
  });
});
