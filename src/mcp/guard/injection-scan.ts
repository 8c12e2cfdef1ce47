// The injection scanner's API: pure functions from MCP definitions and result text to Findings (no I/O, no hub).
import { redact } from '../../policy/pii/redact.js';
import { crossToolReference, indexToolNames, type ToolNameIndex } from './injection-cross.js';
import { modelInstruction } from './injection-patterns.js';
import {
  maxSeverity,
  type DefinitionKind,
  type Finding,
  type Hit,
  type ScanContext,
} from './injection-types.js';
import { fold, hiddenUnicode } from './injection-unicode.js';
import { exfiltrationUrl, sensitivePath } from './injection-urls.js';
import { createWalk, LIMITS, walkDefinition, type Target, type Truncation } from './injection-walk.js';

export type { DefinitionKind, Finding, InjectionRule, ScanContext, Severity } from './injection-types.js';
export { INJECTION_RULES } from './injection-types.js';

/** A description longer than this is low-severity noise in every prompt, and room to bury instructions. */
export const MAX_TEXT_CHARS = 4096;
/** Findings per definition or result: a hostile item with 10,000 bad strings still yields one bounded audit row. */
export const MAX_FINDINGS = 50;

/** All rules that apply to one string under its profile; findings are one per rule and path. */
function scanString(target: Target, names: ToolNameIndex | null): Hit[] {
  const { text, profile } = target;
  const hits: Hit[] = [];
  const add = (h: Hit | null) => h && hits.push(h);
  add(hiddenUnicode(text, profile === 'result'));
  if (profile === 'name' || profile === 'id') return hits;
  const folded = fold(text);
  add(modelInstruction(folded, profile));
  if (profile === 'key') return hits;
  if (profile === 'text') add(sensitivePath(folded));
  add(exfiltrationUrl(folded, profile));
  add(crossToolReference(folded, names));
  if (profile === 'text' && text.length > MAX_TEXT_CHARS) {
    hits.push({ rule: 'excessive_length', signal: 'length', severity: 'low', excerpt: `${text.length} characters (bound ${MAX_TEXT_CHARS})` });
  }
  // An instruction next to a secret location or a data-carrying URL is the tool-poisoning shape itself.
  const instruction = hits.find((h) => h.rule === 'model_instruction');
  const payload = hits.find((h) => h.rule === 'sensitive_path' || h.rule === 'exfiltration_url');
  if (instruction && payload) for (const h of [instruction, payload]) h.severity = maxSeverity(h.severity, 'high');
  return hits;
}

/** Results larger than this are scanned in part; large file reads are ordinary, so that is only a low finding. */
export const RESULT_SCAN_CHARS = 1_048_576;

function truncationFinding(t: Truncation, inResult: boolean): Finding {
  const size = inResult ? RESULT_SCAN_CHARS : LIMITS.chars;
  const why = { depth: `nesting deeper than ${LIMITS.depth}`, size: `more than ${size} characters of text`, nodes: `more than ${LIMITS.nodes} strings` }[t.reason];
  // A definition too big to read is suspicious in itself; a big tool result is not.
  const severity = inResult ? 'low' : 'medium';
  return { rule: 'scan_truncated', signal: t.reason, path: t.path, severity, excerpt: `not scanned past here: ${why}` };
}

function run(targets: readonly Target[], truncated: readonly Truncation[], names: ToolNameIndex | null, inResult: boolean): Finding[] {
  const scrub = inResult;
  const out: Finding[] = truncated.map((t) => truncationFinding(t, inResult));
  for (const t of targets) {
    for (const h of scanString(t, names)) {
      if (out.length >= MAX_FINDINGS) return out;
      out.push({ rule: h.rule, path: t.path, excerpt: scrub ? redact(h.excerpt).text : h.excerpt, severity: h.severity, signal: h.signal });
    }
  }
  return out;
}

/** Never throws: a definition the scanner cannot read is reported, not passed as clean. */
function guarded(at: string, scan: () => Finding[]): Finding[] {
  try {
    return scan();
  } catch {
    return [{ rule: 'scan_truncated', signal: 'error', path: at, severity: 'medium', excerpt: 'the scanner could not read this value' }];
  }
}

/**
 * Scans every model-visible string of one listed tool, prompt, resource or resource template: names, titles,
 * descriptions, every string (and non-standard key) of input/output schemas, annotations, prompt arguments.
 * `context.otherToolNames` (the other servers' tools) enables cross_tool_reference.
 */
export function scanDefinition(kind: DefinitionKind, item: unknown, context: ScanContext = {}): Finding[] {
  return guarded('(root)', () => {
    if (item === null || typeof item !== 'object' || Array.isArray(item)) return [];
    const rec = item as Record<string, unknown>;
    const w = walkDefinition(kind, rec);
    const names = indexToolNames(context.otherToolNames, typeof rec.name === 'string' ? rec.name : '');
    return run(w.targets, w.truncated, names, false);
  });
}

/**
 * Scans a server's `instructions` (from initialize): most clients put them in the system prompt, so they are
 * held to the definition rules. Ordinary instructions address the model too; the rules look for the attack shapes.
 */
export function scanServerInstructions(text: unknown, context: ScanContext = {}): Finding[] {
  return guarded('instructions', () => {
    const w = createWalk();
    w.push('instructions', text, 'text');
    return run(w.targets, w.truncated, indexToolNames(context.otherToolNames, ''), false);
  });
}

/**
 * Scans one piece of result text (tool output, prompt messages, resource contents) the model is about to read.
 * Results hold user data, so excerpts go through PII redaction before they reach an audit row.
 */
export function scanText(text: string, where: string, context: ScanContext = {}): Finding[] {
  return guarded(where, () => {
    if (typeof text !== 'string') return [];
    const w = createWalk(RESULT_SCAN_CHARS);
    w.push(where, text, 'result');
    return run(w.targets, w.truncated, indexToolNames(context.otherToolNames, ''), true);
  });
}

/** Every text string of a tools/call, prompts/get or resources/read result (content, structuredContent, messages). */
export function scanResult(result: unknown, context: ScanContext = {}, root = 'result'): Finding[] {
  return guarded(root, () => {
    const w = createWalk(RESULT_SCAN_CHARS);
    w.tree(root, result, 'result');
    return run(w.targets, w.truncated, indexToolNames(context.otherToolNames, ''), true);
  });
}

/** How many strings and characters scanDefinition reads for an item: for the false-positive report. */
export function definitionStats(kind: DefinitionKind, item: Record<string, unknown>): { strings: number; chars: number } {
  const w = walkDefinition(kind, item);
  return { strings: w.targets.length, chars: w.targets.reduce((n, t) => n + t.text.length, 0) };
}
