// One-shot redaction of a string or of every string inside a JSON value, with typed numbered placeholders.
import { addCounts, createRedactionContext, type RedactionContext } from './context.js';
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

/** Only plain objects are walked: class instances (Dates, Buffers) are not chat or tool content. */
function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (v === null || typeof v !== 'object') return false;
  const proto: unknown = Object.getPrototypeOf(v);
  return proto === Object.prototype || proto === null;
}

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

export interface RedactJsonResult<T> {
  value: T;
  findings: FindingCounts;
}

/**
 * Redacts every string inside a JSON-like value (chat messages, MCP tool arguments and results); keys are left as
 * they are because they are schema, not content. Returns a copy; untouched branches are shared, not cloned.
 */
export function redactJson<T>(value: T, ctx: RedactionContext = createRedactionContext()): RedactJsonResult<T> {
  const findings: FindingCounts = {};
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') {
      const r = redact(v, ctx);
      addCounts(findings, r.findings);
      return r.text;
    }
    if (Array.isArray(v)) {
      let changed = false;
      const out = v.map((item) => {
        const w = walk(item);
        if (w !== item) changed = true;
        return w;
      });
      return changed ? out : v;
    }
    if (isPlainObject(v)) {
      let changed = false;
      const out: Record<string, unknown> = {};
      for (const [k, item] of Object.entries(v)) {
        const w = walk(item);
        if (w !== item) changed = true;
        out[k] = w;
      }
      return changed ? out : v;
    }
    return v;
  };
  // The walk preserves shape: strings map to strings and containers to containers of the same kind.
  return { value: walk(value) as T, findings };
}

/** Counts findings in every string of a JSON-like value without rewriting it (audit and block modes). */
export function detectJson(value: unknown, ctx: RedactionContext = createRedactionContext()): FindingCounts {
  const counts: FindingCounts = {};
  const walk = (v: unknown): void => {
    if (typeof v === 'string') {
      for (const f of resolveOverlaps(scanCandidates(v, 0, ctx.types))) {
        counts[f.type] = (counts[f.type] ?? 0) + 1;
        ctx.record(f.type);
      }
    } else if (Array.isArray(v)) v.forEach(walk);
    else if (isPlainObject(v)) Object.values(v).forEach(walk);
  };
  walk(value);
  return counts;
}
