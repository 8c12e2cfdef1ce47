// The regex loops detectors share: validate each match, skip past accepted ones, retry after rejected ones.
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

function accept(spec: RegexDetectorSpec, m: RegExpExecArray, text: string): Candidate | null {
  const span = spec.check ? spec.check(m, text) : { start: m.index, end: m.index + m[0].length };
  if (!span || span.end <= span.start) return null;
  const c: Candidate = { type: spec.type, start: span.start, end: span.end, matchStart: m.index, priority: spec.priority };
  if (spec.kind) c.kind = spec.kind;
  return c;
}

export function regexDetector(spec: RegexDetectorSpec): Detector {
  // A private copy, because lastIndex is state and detectors are module singletons.
  const re = new RegExp(spec.re.source, spec.re.flags);
  return {
    type: spec.type,
    scan(text, from, out) {
      re.lastIndex = from;
      let m: RegExpExecArray | null;
      while ((m = re.exec(text)) !== null) {
        const c = accept(spec, m, text);
        if (c) {
          out.push(c);
          re.lastIndex = c.end;
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

export interface AnchoredDetectorSpec extends RegexDetectorSpec {
  /** A character every match contains, looked up with indexOf instead of trying the regex at every position. */
  anchor: string;
  /** The only position a match using the anchor at `at` can start at, or -1; must be exact, not a guess. */
  startOf(text: string, at: number): number;
}

/**
 * The same results as regexDetector(spec), for patterns that would otherwise be tried at every word start
 * (e-mail at every letter, IPv6 at every hex digit). The regex runs sticky, once per anchor, at the one start that
 * anchor allows; starts come out in increasing order, so accept/skip/retry behave as in the plain loop.
 */
export function anchoredDetector(spec: AnchoredDetectorSpec): Detector {
  const re = new RegExp(spec.re.source, spec.re.flags.replace('g', '') + 'y');
  return {
    type: spec.type,
    scan(text, from, out) {
      let pos = from; // no candidate may start before this (scan start, or end of the last accepted one)
      let tried = -1;
      for (let at = text.indexOf(spec.anchor, pos); at !== -1; at = text.indexOf(spec.anchor, Math.max(at + 1, pos))) {
        const start = spec.startOf(text, at);
        if (start < pos || start <= tried) continue;
        tried = start;
        re.lastIndex = start;
        const m = re.exec(text);
        const c = m ? accept(spec, m, text) : null;
        if (c) {
          out.push(c);
          pos = c.end;
        }
      }
    },
  };
}
