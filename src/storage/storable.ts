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

/** Runs a stepping walk to the end, yielding to the event loop every `sliceMs`, so a huge value never stalls requests. */
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

/** A container being copied: its children read when it was opened, the next one to copy, and where copies go. */
interface Frame {
  /** Cleaned keys for an object (children whose value can never be stored already left out); null for an array. */
  keys: string[] | null;
  vals: unknown[];
  dst: Container;
  i: number;
  depth: number;
}

const isPlain = (v: unknown): v is object => typeof v === 'object' && v !== null && !(v instanceof Date);

/**
 * Copies a value depth-first in document order with an explicit stack of containers (no recursion, no object per value),
 * in steps, so one algorithm serves the one-go path for small values and the sliced path for huge ones.
 */
class StorableCopier {
  private readonly root: Record<string, unknown> = {};
  private readonly frames: Frame[];
  private budget: number;
  truncated = false;

  constructor(value: unknown, private readonly limits: StorableLimits) {
    this.frames = [{ keys: ['v'], vals: [value], dst: this.root, i: 0, depth: 0 }];
    this.budget = limits.maxBytes;
  }

  get value(): unknown {
    return this.root.v;
  }

  /** Copies at most `steps` more values; true once done (whole, or cut at the size limit). */
  run(steps: number): boolean {
    const frames = this.frames;
    const { maxDepth } = this.limits;
    for (let n = 0; frames.length; ) {
      const f = frames[frames.length - 1]!;
      if (f.i === f.vals.length) {
        frames.pop();
        continue;
      }
      if (n++ === steps) return false;
      if (this.budget <= 0) {
        this.truncated = true;
        return true;
      }
      const src = f.vals[f.i];
      const key = f.keys === null ? null : f.keys[f.i]!;
      f.i++;
      let v: unknown;
      if (typeof src === 'string') {
        const keep = Math.min(src.length, Math.max(0, this.budget));
        if (keep < src.length) this.truncated = true;
        const text = storableText(src, keep);
        this.budget -= text.length + 2;
        v = text;
      } else if (typeof src === 'number') {
        this.budget -= 8;
        v = Number.isFinite(src) ? src : null;
      } else if (typeof src === 'boolean' || src === null) {
        this.budget -= 5;
        v = src;
      } else if (typeof src === 'bigint') {
        this.budget -= 20;
        v = src.toString();
      } else if (src instanceof Date) {
        this.budget -= 26;
        v = Number.isNaN(src.getTime()) ? null : src.toISOString();
      } else if (isPlain(src)) {
        if (f.depth >= maxDepth) {
          this.truncated = true;
          v = `[cut: nested deeper than ${maxDepth}]`;
        } else {
          this.budget -= 2;
          v = this.open(src, f.depth + 1);
        }
      } else if (key === null) v = null; // undefined, functions and symbols in arrays, as JSON.stringify does
      else continue; // the root itself is undefined, a function or a symbol: nothing to store
      // Plain assignment, as the copy has always been made (a `__proto__` key sets the copy's prototype and is not an own key).
      if (key === null) (f.dst as unknown[]).push(v);
      else (f.dst as Record<string, unknown>)[key] = v;
    }
    return true;
  }

  /** Starts copying a container: the size of every stored key is counted now, before any child is copied. */
  private open(src: object, depth: number): Container {
    if (Array.isArray(src)) {
      const dst: unknown[] = [];
      const vals = new Array<unknown>(src.length);
      for (let i = 0; i < src.length; i++) vals[i] = src[i] ?? null;
      this.frames.push({ keys: null, vals, dst, i: 0, depth });
      return dst;
    }
    const dst: Record<string, unknown> = {};
    const keys: string[] = [];
    const vals: unknown[] = [];
    for (const k of Object.keys(src)) {
      const v = (src as Record<string, unknown>)[k];
      if (v === undefined || typeof v === 'function' || typeof v === 'symbol') continue;
      const key = storableText(k, 256);
      this.budget -= key.length + 3;
      keys.push(key);
      vals.push(v);
    }
    this.frames.push({ keys, vals, dst, i: 0, depth });
    return dst;
  }
}

/** Values copied between yields of the sliced walk. */
const SLICE_STEPS = 512;

/**
 * A copy of `value` that JSON and jsonb accept: text made storable, non-finite numbers as null, dates as ISO strings,
 * bigints as strings, undefined dropped. Depth-first in document order with an explicit stack, so the size cut keeps a prefix.
 */
export function* storableWalk(value: unknown, limits: StorableLimits): Generator<void, Storable> {
  const c = new StorableCopier(value, limits);
  while (!c.run(SLICE_STEPS)) yield;
  return { value: c.value, truncated: c.truncated };
}

/** For small values on the request path (event fields, findings): the same copy without a generator. */
export function storableSync(value: unknown, limits: StorableLimits): Storable {
  const c = new StorableCopier(value, limits);
  c.run(Number.POSITIVE_INFINITY);
  return { value: c.value, truncated: c.truncated };
}
