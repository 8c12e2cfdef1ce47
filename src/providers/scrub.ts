// Removes configured credentials (and their echoes) from text and errors that may reach a client or a log.
import { redactKeyPatterns, REDACTED } from './key-patterns.js';
import { secretVariants } from './secret-variants.js';

/**
 * A run of this many consecutive characters of a secret (or of one of its encoded forms) is scrubbed.
 * 12 characters of a random key carry 48 (hex) to 72 (base64) bits, so ordinary text never holds one by
 * chance, while a 16-character prefix or any truncation that keeps 12 characters of the key is still caught.
 */
export const WINDOW = 12;
/** Secrets from here up to WINDOW characters are matched whole (case-insensitively, in all their forms). */
const MIN_SECRET = 8;
/** Below MIN_SECRET only an exact copy is removed: a case-insensitive 4-letter key would eat ordinary words. */
const MIN_EXACT = 4;

export interface Scrubber {
  /** `text` with every secret form and every generic key pattern replaced by `[REDACTED]`; linear in its length. */
  scrub(text: string): string;
  /** Scrubs an error's message, stack and causes in place (identity and type are kept) and returns it. */
  error<E>(err: E): E;
}

const B = 0x01000193;
const BW = pow32(B, WINDOW - 1);

function pow32(b: number, e: number): number {
  let r = 1;
  for (let i = 0; i < e; i++) r = Math.imul(r, b);
  return r;
}

/** ASCII-only lowercasing keeps every offset of the text valid (String#toLowerCase may change lengths). */
const fold = (s: string): string => s.replace(/[A-Z]+/g, (m) => m.toLowerCase());

function windowHash(s: string, at: number): number {
  let h = 0;
  for (let i = at; i < at + WINDOW; i++) h = (Math.imul(h, B) + s.charCodeAt(i)) | 0;
  return h;
}

/** hash → the distinct windows with that hash (verified on a hit, so collisions cost a compare, never a leak or a false match). */
type WindowSet = Map<number, string[]>;

function addWindows(set: WindowSet, v: string): void {
  for (let i = 0; i + WINDOW <= v.length; i++) {
    const w = v.slice(i, i + WINDOW);
    const h = windowHash(w, 0);
    const bucket = set.get(h);
    if (!bucket) set.set(h, [w]);
    else if (!bucket.includes(w)) bucket.push(w);
  }
}

function sameWindow(text: string, at: number, w: string): boolean {
  for (let k = 0; k < WINDOW; k++) if (text.charCodeAt(at + k) !== w.charCodeAt(k)) return false;
  return true;
}

type Range = [start: number, end: number];

/** Rolling hash over the folded text: O(n) plus one WINDOW-long compare per hit; contiguous hits merge into one range. */
function windowRanges(folded: string, set: WindowSet, out: Range[]): void {
  if (set.size === 0 || folded.length < WINDOW) return;
  let h = windowHash(folded, 0);
  let run: Range | null = null;
  for (let i = 0; ; i++) {
    const bucket = set.get(h);
    if (bucket && bucket.some((w) => sameWindow(folded, i, w))) {
      if (run && i <= run[1]) run[1] = i + WINDOW;
      else out.push((run = [i, i + WINDOW]));
    }
    if (i + WINDOW >= folded.length) return;
    h = (Math.imul(h - Math.imul(folded.charCodeAt(i), BW), B) + folded.charCodeAt(i + WINDOW)) | 0;
  }
}

function literalRanges(text: string, literals: readonly string[], out: Range[]): void {
  for (const lit of literals) {
    for (let at = text.indexOf(lit); at >= 0; at = text.indexOf(lit, at + lit.length)) out.push([at, at + lit.length]);
  }
}

const isB64 = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 43 || c === 47 || c === 45 || c === 95;

/**
 * A base64 match stops short of the characters that mix the key's bits with its neighbours' (at most 2 each
 * side, plus `=` padding); those go too, so no tail of an encoded key is left behind. Bounded, so linear.
 */
function widen(text: string, start: number, end: number, floor: number): Range {
  for (let k = 0; k < 2 && start > floor && isB64(text.charCodeAt(start - 1)); k++) start--;
  for (let k = 0; k < 2 && end < text.length && isB64(text.charCodeAt(end)); k++) end++;
  for (let k = 0; k < 2 && end < text.length && text.charCodeAt(end) === 61; k++) end++;
  return [start, end];
}

function replaceRanges(text: string, ranges: Range[]): string {
  if (ranges.length === 0) return text;
  ranges.sort((a, b) => a[0] - b[0]);
  const parts: string[] = [];
  let at = 0;
  let [start, end] = ranges[0]!;
  const flush = (): void => {
    const [s, e] = widen(text, start, end, at);
    parts.push(text.slice(at, s), REDACTED);
    at = e;
  };
  for (const [s, e] of ranges) {
    if (s <= end) {
      end = Math.max(end, e); // overlapping or touching: one placeholder
      continue;
    }
    flush();
    [start, end] = [Math.max(s, at), Math.max(e, at)];
  }
  flush();
  parts.push(text.slice(at));
  return parts.join('');
}

/** Built once per configuration (registry build, config reload): all the per-secret work happens here. */
export function createScrubber(secrets: readonly string[]): Scrubber {
  const windows: WindowSet = new Map();
  const shortFolded = new Set<string>();
  const exact = new Set<string>();
  for (const secret of new Set(secrets)) {
    if (secret.length < MIN_SECRET) {
      if (secret.length >= MIN_EXACT) exact.add(secret);
      continue;
    }
    for (const v of secretVariants(secret)) {
      if (v.length >= WINDOW) addWindows(windows, fold(v));
      else shortFolded.add(fold(v));
    }
  }
  const shortList = [...shortFolded];
  const exactList = [...exact];

  function scrub(text: string): string {
    const ranges: Range[] = [];
    if (windows.size > 0 || shortList.length > 0) {
      const folded = fold(text);
      windowRanges(folded, windows, ranges);
      literalRanges(folded, shortList, ranges);
    }
    literalRanges(text, exactList, ranges);
    return redactKeyPatterns(replaceRanges(text, ranges));
  }

  function error<E>(err: E): E {
    const seen = new Set<unknown>();
    for (let e: unknown = err; e instanceof Error && !seen.has(e) && seen.size < 8; e = e.cause) {
      seen.add(e);
      try {
        e.message = scrub(e.message);
        if (e.stack) e.stack = scrub(e.stack);
      } catch {
        // A frozen error keeps its text; the renderers still apply the generic patterns.
      }
    }
    return err;
  }

  return { scrub, error };
}
