// Text that crosses the edge: which client strings are safe to keep, store and label with, and header values that can never throw.

/** C0 controls, DEL and C1 controls: never part of a name, an id or a header. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;
/** A UTF-16 surrogate without its pair: not valid Unicode, rejected by Postgres, JSON encoders and header APIs. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Printable text: no control characters (NUL included) and no lone surrogates. */
export function isSafeText(s: string): boolean {
  return !CONTROL.test(s) && !LONE_SURROGATE.test(s);
}

/** Well-formed Unicode (control characters allowed): what Postgres text and jsonb accept, minus NUL. */
export function isStorableText(s: string): boolean {
  return !s.includes('\u0000') && !LONE_SURROGATE.test(s);
}

/** The path (`a.b.0`) of the first string in a JSON value, keys included, that Postgres would refuse; null when all are fine. */
export function firstUnstorable(value: unknown, path: string[] = []): string | null {
  if (typeof value === 'string') return isStorableText(value) ? null : path.join('.') || '(body)';
  if (Array.isArray(value)) {
    for (const [i, v] of value.entries()) {
      const p = firstUnstorable(v, [...path, String(i)]);
      if (p !== null) return p;
    }
    return null;
  }
  if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (!isStorableText(k)) return [...path, k.replace(/[^\x20-\x7e]/g, '?')].join('.');
      const p = firstUnstorable(v, [...path, k]);
      if (p !== null) return p;
    }
  }
  return null;
}

/** Longest header value the gateway copies from client or upstream data. */
export const HEADER_VALUE_MAX = 512;

/**
 * A header value that `Headers.set` always accepts and that reads the same in every client:
 * printable ASCII passes as is; anything else (non-Latin-1 model names, controls) is percent-encoded
 * as UTF-8, lone surrogates as U+FFFD. Over-long values are cut.
 */
export function safeHeaderValue(v: string): string {
  let out = v.replace(/[^\x20-\x7e]/gu, (ch) => encodeURIComponent(LONE_SURROGATE.test(ch) ? '\ufffd' : ch));
  if (out.length > HEADER_VALUE_MAX) out = out.slice(0, HEADER_VALUE_MAX).replace(/%[0-9A-F]?$/, '');
  return out;
}

/** Every value of a header record through safeHeaderValue. */
export function safeHeaders(h: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) out[k] = safeHeaderValue(v);
  return out;
}
