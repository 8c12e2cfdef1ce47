// The one regex loop every detector shares: validate each match, skip past accepted ones, retry after rejected ones.
import type { Candidate, Detector, PiiType, SecretKind } from './types.js';

/** A validator returns the accepted span (it may trim the match or point at one group) or null to reject. */
export type Check = (m: RegExpExecArray, text: string) => { start: number; end: number } | null;

export interface RegexDetectorSpec {
  type: PiiType;
  kind?: SecretKind;
  priority: number;
  /** Must carry the `g` flag (and `d` when the check reads group indices). */
  re: RegExp;
  check?: Check;
}

export function regexDetector(spec: RegexDetectorSpec): Detector {
  const { type, kind, priority, check } = spec;
  // A private copy, because lastIndex is state and detectors are module singletons.
  const re = new RegExp(spec.re.source, spec.re.flags);
  return {
    type,
    scan(text, from, out) {
      re.lastIndex = from;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text)) !== null) {
        const span = check ? check(m, text) : { start: m.index, end: m.index + m[0].length };
        if (span && span.end > span.start) {
          const c: Candidate = { type, start: span.start, end: span.end, matchStart: m.index, priority };
          if (kind) c.kind = kind;
          out.push(c);
          re.lastIndex = span.end;
        } else {
          // Retrying one position later (not after the rejected match) keeps scanning position-local,
          // which the stream redactor relies on to give the same result as a one-shot scan.
          re.lastIndex = m.index + 1;
        }
      }
    },
  };
}

/** Span of capture group `i` (needs the `d` flag), or null when it did not take part. */
export function groupSpan(m: RegExpExecArray, i: number): { start: number; end: number } | null {
  const idx = m.indices?.[i];
  return idx ? { start: idx[0], end: idx[1] } : null;
}
