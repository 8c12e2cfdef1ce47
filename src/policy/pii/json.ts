// Redaction and detection over every content string of a JSON-like value, in one go or in slices between event-loop turns.
import { addCounts, createRedactionContext, type RedactionContext } from './context.js';
import { resolveOverlaps, scanCandidates } from './detect.js';
import { redact } from './redact.js';
import { createStreamRedactor } from './stream.js';
import type { FindingCounts } from './types.js';
import { CONTENT, runSync, walkStrings, type Rule, type Visit } from './walk.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface RedactJsonResult<T> {
  value: T;
  findings: FindingCounts;
}

/**
 * String visitors for walkStrings. Text is scanned in one synchronous piece up to `slice` characters, and the
 * walk yields after each `slice` characters scanned; a longer string goes through the stream redactor `slice`
 * characters at a time (its output equals redact()'s), so no single pass blocks for long.
 */
export function redactVisitor(ctx: RedactionContext, counts: FindingCounts, slice = Infinity, detectOnly = false): Visit {
  let budget = slice;
  return function* visit(s) {
    if (s.length <= slice) {
      const r = detectOnly ? null : redact(s, ctx);
      if (r) addCounts(counts, r.findings);
      else for (const f of resolveOverlaps(scanCandidates(s, 0, ctx.types))) {
        counts[f.type] = (counts[f.type] ?? 0) + 1;
        ctx.record(f.type);
      }
      budget -= s.length;
      if (budget <= 0) {
        budget = slice;
        yield;
      }
      return r ? r.text : s;
    }
    const stream = createStreamRedactor(ctx);
    let out = '';
    for (let i = 0; i < s.length; i += slice) {
      out += stream.push(s.slice(i, i + slice));
      yield;
    }
    out += stream.flush();
    addCounts(counts, stream.findings());
    budget = slice;
    return detectOnly ? s : out;
  };
}

/**
 * Redacts every string inside a JSON-like value (chat messages, MCP tool arguments and results); keys are left as
 * they are because they are schema, not content. Returns a copy; untouched branches are shared, not cloned.
 */
export function redactJson<T>(value: T, ctx: RedactionContext = createRedactionContext(), rule: Rule = CONTENT): RedactJsonResult<T> {
  const findings: FindingCounts = {};
  // The walk preserves shape: strings map to strings and containers to containers of the same kind.
  return { value: runSync(walkStrings(value, rule, redactVisitor(ctx, findings))) as T, findings };
}

/** Counts findings in every string of a JSON-like value without rewriting it (audit and block modes). */
export function detectJson(value: unknown, ctx: RedactionContext = createRedactionContext(), rule: Rule = CONTENT): FindingCounts {
  const counts: FindingCounts = {};
  runSync(walkStrings(value, rule, redactVisitor(ctx, counts, Infinity, true)));
  return counts;
}
