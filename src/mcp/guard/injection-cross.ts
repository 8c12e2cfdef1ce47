// The cross_tool_reference rule: a definition that steers how the model uses another server's tool (shadowing).
import type { Hit, Severity } from './injection-types.js';
import { excerptAt } from './injection-unicode.js';

export interface ToolNameIndex {
  /** Lower-cased name → whether it is an ordinary English word ("echo", "search") that needs decoration to count. */
  names: Map<string, boolean>;
}

const MAX_NAMES = 5000;

/** Prepares the other servers' tool names once per definition; the item's own name never counts. */
export function indexToolNames(names: readonly unknown[] | undefined, self: string): ToolNameIndex | null {
  if (!Array.isArray(names) || names.length === 0) return null;
  const out = new Map<string, boolean>();
  const own = self.toLowerCase();
  for (const n of names.slice(0, MAX_NAMES)) {
    if (typeof n !== 'string' || n.length < 3 || n.length > 128) continue;
    const lower = n.toLowerCase();
    if (lower === own) continue;
    out.set(lower, /^[a-z]+$/.test(n));
  }
  return out.size > 0 ? { names: out } : null;
}

/** Tool-name-shaped tokens: letters, digits and `_ . -` inside (not at the end, so "send_email." still matches). */
const TOKEN = /[A-Za-z0-9_](?:[A-Za-z0-9_.-]{0,126}[A-Za-z0-9_])?/g;
/** Cues that the sentence instructs rather than mentions; strong ones redirect or override the other tool. */
const STRONG = /\b(?:bcc|cc|redirect|instead\s+of|rather\s+than|override|replace|intercept|also\s+(?:send|forward|copy|include|add|call|pass)|always|never|do\s+not|don'?t|must)\b/i;
const WEAK = /\b(?:when|whenever|before|after|every\s+time|each\s+time|any\s+time|should|make\s+sure|ensure|prefer|first|also)\b/i;

/** A plain word counts as a tool name only when marked as one: quoted, called, or next to "tool"/"function". */
function decorated(text: string, start: number, end: number): boolean {
  const before = text.slice(Math.max(0, start - 16), start);
  const after = text.slice(end, end + 16);
  if (/["'`]$/.test(before) && /^["'`]/.test(after)) return true;
  if (/^\s*(?:\(|tool\b|function\b|command\b)/i.test(after)) return true;
  return /\b(?:tool|function)\s+$/i.test(before);
}

function sentence(text: string, start: number, end: number): string {
  const from = Math.max(0, start - 240);
  const head = text.slice(from, start);
  const cut = Math.max(head.lastIndexOf('. '), head.lastIndexOf('\n'), head.lastIndexOf('! '), head.lastIndexOf('? '));
  const tail = text.slice(end, end + 240);
  const stop = tail.search(/[.!?](?:\s|$)|\n/);
  return head.slice(cut + 1) + text.slice(start, end) + (stop < 0 ? tail : tail.slice(0, stop));
}

/** The strongest instruction about another server's tool, or null (a bare mention is not a finding). */
export function crossToolReference(folded: string, index: ToolNameIndex | null): Hit | null {
  if (!index) return null;
  let best: { severity: Severity; at: number; length: number } | null = null;
  TOKEN.lastIndex = 0;
  for (let m = TOKEN.exec(folded), n = 0; m && n < 20000; m = TOKEN.exec(folded), n++) {
    const plain = index.names.get(m[0].toLowerCase());
    if (plain === undefined) continue;
    const end = m.index + m[0].length;
    if (plain && !decorated(folded, m.index, end)) continue;
    const around = sentence(folded, m.index, end);
    const severity: Severity | null = STRONG.test(around) ? 'high' : WEAK.test(around) ? 'medium' : null;
    if (severity && (!best || (severity === 'high' && best.severity !== 'high'))) best = { severity, at: m.index, length: m[0].length };
    if (best?.severity === 'high') break;
  }
  TOKEN.lastIndex = 0;
  if (!best) return null;
  return { rule: 'cross_tool_reference', signal: 'other_tool', severity: best.severity, excerpt: excerptAt(folded, best.at, best.length) };
}
