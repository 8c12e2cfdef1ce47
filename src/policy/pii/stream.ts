// Streaming redaction: holds back a bounded tail so no entity is split across chunks, and output equals redact().
import { createRedactionContext, type RedactionContext } from './context.js';
import { resolveOverlaps, scanCandidates } from './detect.js';
import { applyFindings } from './redact.js';
import type { Candidate, FindingCounts } from './types.js';

/*
 * Why this equals one-shot redaction. Every entity longer than HOLD consists, past its first HOLD characters, of
 * "token" characters only (keys, JWTs, e-mails, IPv6), or is a PEM block. So text more than HOLD characters before
 * the trailing run of token characters cannot belong to an entity that is still growing, except inside an open
 * PEM block, which is held whole. The cut is then moved back so it never falls inside a validated candidate, which
 * leaves every regex at the cut in the same state a one-shot scan would be in (see scan.ts, detect.ts).
 */
const HOLD = 64;
/** Left context kept after a cut, for lookbehinds (`\b`, the "version 1.2.3.4" check). */
const CONTEXT = 32;
/** Upper bound on held text: past it (a 32 KB "word"), text is released even if that might split an entity. */
const CAP = 32_768;
/** Rescan only after this much new text, so tiny deltas do not each pay for a scan of the held tail. */
const SCAN_EVERY = 64;
const TOKEN_CHAR = /[A-Za-z0-9_.+/=@%:~-]/;
const PEM_EDGE = /-----(BEGIN|END) (?:[A-Z0-9]+ )*PRIVATE KEY-----/g;

export interface StreamRedactor {
  /** Feeds the next delta; returns the redacted text that is now safe to emit (possibly ''). */
  push(delta: string): string;
  /** Ends the stream: returns everything still held, redacted. The redactor can then be reused. */
  flush(): string;
  /** Occurrences emitted so far by this stream. */
  findings(): FindingCounts;
}

/** Start of the first PEM header at or after `from` that has no footer yet, or -1. */
function openPemStart(buf: string, from: number): number {
  if (!buf.includes('-----BEGIN', from)) return -1;
  let open = -1;
  PEM_EDGE.lastIndex = from;
  for (let m = PEM_EDGE.exec(buf); m !== null; m = PEM_EDGE.exec(buf)) {
    if (m[1] === 'BEGIN') open = open === -1 ? m.index : open;
    else open = -1;
  }
  return open;
}

/**
 * Largest cut ≤ limit that is not strictly inside any candidate's regex match. Walking candidates by descending end
 * visits each once: a candidate that ends at or before the cut cannot contain it, nor can any after it.
 */
function safeCut(cands: readonly Candidate[], limit: number): number {
  const byEnd = [...cands].sort((a, b) => b.end - a.end);
  let p = limit;
  for (const c of byEnd) {
    if (c.end <= p) break;
    if (c.matchStart < p) p = c.matchStart;
  }
  return p;
}

export function createStreamRedactor(ctx: RedactionContext = createRedactionContext()): StreamRedactor {
  const counts: FindingCounts = {};
  let buf = ''; // left context (released, original text) + held text
  let ctxLen = 0;
  let runStart = 0; // where the trailing run of token characters begins in buf
  let scannedAt = 0;

  const release = (final: boolean): string => {
    scannedAt = buf.length;
    const forced = !final && buf.length - ctxLen > CAP;
    let limit = final ? buf.length : runStart - HOLD;
    if (!final) {
      const pem = openPemStart(buf, ctxLen);
      if (pem !== -1) limit = Math.min(limit, pem);
      if (forced) limit = Math.max(limit, buf.length - HOLD);
      if (limit <= ctxLen) return '';
    }
    const cands = scanCandidates(buf, ctxLen, ctx.types);
    const resolved = resolveOverlaps(cands);
    let p = final ? limit : safeCut(cands, limit);
    if (p <= ctxLen) {
      if (!forced) return '';
      // Over the cap: cut anyway, but never through a finding; extend the cut past any finding it would split.
      p = limit;
      for (const f of resolved) if (f.start < p && p < f.end) p = f.end;
    }
    const out = applyFindings(buf, resolved.filter((f) => f.end <= p), ctx, counts, ctxLen, p);
    const keepFrom = Math.max(0, p - CONTEXT);
    buf = buf.slice(keepFrom);
    ctxLen = p - keepFrom;
    runStart = Math.max(runStart - keepFrom, ctxLen);
    scannedAt -= keepFrom;
    return out;
  };

  return {
    push(delta) {
      if (delta === '') return '';
      const base = buf.length;
      buf += delta;
      for (let i = delta.length - 1; i >= 0; i--) {
        if (!TOKEN_CHAR.test(delta[i] as string)) {
          runStart = base + i + 1;
          break;
        }
      }
      if (buf.length - scannedAt < Math.max(SCAN_EVERY, (buf.length - ctxLen) >> 2)) return '';
      return release(false);
    },
    flush() {
      const out = release(true);
      buf = '';
      ctxLen = 0;
      runStart = 0;
      scannedAt = 0;
      return out;
    },
    findings: () => ({ ...counts }),
  };
}
