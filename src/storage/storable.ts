// Makes client-controlled values safe to store and hash: well-formed text without NUL, bounded depth and size, no recursion, work in slices.

/** Node 20 has these (ES2024) though the ES2022 lib we compile against does not declare them. */
interface WellFormed {
  isWellFormed(): boolean;
  toWellFormed(): string;
}

/** Text Postgres takes as `text` and inside `jsonb`: lone surrogates become U+FFFD, NUL is removed, at most `max` characters. */
export function storableText(s: string, max = Number.POSITIVE_INFINITY): string {
  let out = s.length > max ? `${s.slice(0, max)}…[cut ${s.length - max} chars]` : s;
  if (!(out as unknown as WellFormed).isWellFormed()) out = (out as unknown as WellFormed).toWellFormed();
  if (out.includes('\u0000')) out = out.replaceAll('\u0000', '');
  return out;
}

export interface StorableLimits {
  /** Containers nested deeper than this become a marker string. */
  maxDepth: number;
  /** Roughly the serialised size kept; past it the rest of the value is cut and `truncated` is set. */
  maxBytes: number;
}

export interface Storable {
  value: unknown;
  truncated: boolean;
}

/** Runs a stepping walk to the end; the async form yields to the event loop every `sliceMs`, so a huge value never stalls requests. */
export function runSync<T>(walk: Generator<void, T>): T {
  for (;;) {
    const r = walk.next();
    if (r.done) return r.value;
  }
}

export async function runSliced<T>(walk: Generator<void, T>, sliceMs = 4): Promise<T> {
  let deadline = performance.now() + sliceMs;
  for (;;) {
    const r = walk.next();
    if (r.done) return r.value;
    if (performance.now() > deadline) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      deadline = performance.now() + sliceMs;
    }
  }
}

type Container = Record<string, unknown> | unknown[];
interface Job {
  src: unknown;
  dst: Container;
  key: string | null; // null: push onto the array
  depth: number;
}

const isPlain = (v: unknown): v is object => typeof v === 'object' && v !== null && !(v instanceof Date);

/**
 * A copy of `value` that JSON and jsonb accept: text made storable, non-finite numbers as null, dates as ISO strings,
 * bigints as strings, undefined dropped. Depth-first in document order with an explicit stack, so the size cut keeps a prefix.
 */
export function* storableWalk(value: unknown, limits: StorableLimits): Generator<void, Storable> {
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
      put(job, null); // undefined, functions and symbols in arrays, as JSON.stringify does
    }
  }
  if (stack.length) truncated = true;
  return { value: root.v, truncated };
}

/** For small values on the request path (event fields, findings). */
export const storableSync = (value: unknown, limits: StorableLimits): Storable => runSync(storableWalk(value, limits));
