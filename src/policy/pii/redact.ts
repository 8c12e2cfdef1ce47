// One-shot redaction of a string with typed numbered placeholders.
import { createRedactionContext, type RedactionContext } from './context.js';
import { resolveOverlaps, scanCandidates } from './detect.js';
import type { Finding, FindingCounts } from './types.js';

export interface RedactResult {
  text: string;
  findings: FindingCounts;
}

/** Replaces findings (sorted, non-overlapping) in `text[from, to)` and counts them into `counts`. */
export function applyFindings(
  text: string,
  findings: readonly Finding[],
  ctx: RedactionContext,
  counts: FindingCounts,
  from = 0,
  to = text.length,
): string {
  let out = '';
  let pos = from;
  for (const f of findings) {
    out += text.slice(pos, f.start) + ctx.placeholder(f.type, text.slice(f.start, f.end));
    ctx.record(f.type);
    counts[f.type] = (counts[f.type] ?? 0) + 1;
    pos = f.end;
  }
  return out + text.slice(pos, to);
}

export function redact(text: string, ctx: RedactionContext = createRedactionContext()): RedactResult {
  const findings: FindingCounts = {};
  const found = resolveOverlaps(scanCandidates(text, 0, ctx.types));
  if (found.length === 0) return { text, findings };
  return { text: applyFindings(text, found, ctx, findings), findings };
}
