// An iterative, copy-on-write walk over the strings of a JSON-like value, with per-field rules and yield points.

/**
 * Which strings of a value are content. A rule says whether a string in its place is scanned and which rule each
 * key of an object in its place gets; array items share their array's rule.
 */
export interface Rule {
  readonly scan: boolean;
  child(key: string): Rule;
}

export const CONTENT: Rule = { scan: true, child: () => CONTENT };
/** Not content, and not walked at all. */
export const SKIP: Rule = { scan: false, child: () => SKIP };

/** Rewrites one string; yields (as a generator) where a long job may pause for the event loop. */
export type Visit = (s: string) => Generator<void, string, void>;

/** Only plain objects and arrays are walked: class instances (Dates, Buffers) are not chat or tool content. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

interface Frame {
  src: unknown[] | Record<string, unknown>;
  keys: string[] | null;
  i: number;
  /** The copy, made on the first changed child; untouched containers are returned as they are. */
  out: unknown[] | Record<string, unknown> | null;
  rule: Rule;
}

function frame(v: unknown[] | Record<string, unknown>, rule: Rule): Frame {
  return { src: v, keys: Array.isArray(v) ? null : Object.keys(v), i: 0, out: null, rule };
}

function setOwn(o: Record<string, unknown>, key: string, value: unknown): void {
  // `__proto__` from JSON.parse is an own data property; plain assignment would swap the prototype instead.
  if (key === '__proto__') Object.defineProperty(o, key, { value, writable: true, enumerable: true, configurable: true });
  else o[key] = value;
}

/** Stores the (possibly rewritten) value of the current child and moves on. */
function settle(f: Frame, value: unknown): void {
  const key = f.keys ? (f.keys[f.i] as string) : null;
  const before = key === null ? (f.src as unknown[])[f.i] : (f.src as Record<string, unknown>)[key];
  if (value !== before && !f.out) f.out = Array.isArray(f.src) ? [...f.src] : { ...f.src };
  if (f.out) {
    if (key === null) (f.out as unknown[])[f.i] = value;
    else setOwn(f.out as Record<string, unknown>, key, value);
  }
  f.i++;
}

/**
 * Visits every string the rule marks as content and returns the value with those strings replaced, sharing every
 * unchanged branch. An explicit stack instead of recursion: client JSON may be nested thousands deep.
 */
export function* walkStrings(root: unknown, rule: Rule, visit: Visit): Generator<void, unknown, void> {
  if (typeof root === 'string') return rule.scan ? yield* visit(root) : root;
  if (rule === SKIP || !(Array.isArray(root) || isPlainObject(root))) return root;
  const stack: Frame[] = [frame(root, rule)];
  for (;;) {
    const f = stack[stack.length - 1] as Frame;
    const size = f.keys ? f.keys.length : (f.src as unknown[]).length;
    if (f.i >= size) {
      stack.pop();
      const done = f.out ?? f.src;
      const parent = stack[stack.length - 1];
      if (!parent) return done;
      settle(parent, done);
      continue;
    }
    const key = f.keys ? (f.keys[f.i] as string) : null;
    const v = key === null ? (f.src as unknown[])[f.i] : (f.src as Record<string, unknown>)[key];
    const r = key === null ? f.rule : f.rule.child(key);
    if (typeof v === 'string') settle(f, r.scan ? yield* visit(v) : v);
    else if (r !== SKIP && (Array.isArray(v) || isPlainObject(v))) stack.push(frame(v, r));
    else settle(f, v);
  }
}

/** Runs a walk to the end without pausing. */
export function runSync<T>(gen: Generator<void, T, void>): T {
  for (;;) {
    const step = gen.next();
    if (step.done) return step.value;
  }
}

const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs a walk, giving the event loop a turn at each of its yield points. */
export async function runAsync<T>(gen: Generator<void, T, void>): Promise<T> {
  for (;;) {
    const step = gen.next();
    if (step.done) return step.value;
    await tick();
  }
}
