// A tagged template for markup built as plain strings, every interpolated value escaped unless it is markup made here.
// Hono's JSX (and its `html` helper) allocate objects per node; a 1,000-event timeline has ~40,000 nodes, so it uses this.
import { raw } from 'hono/html';

/** Markup this module wrote: interpolated as is. Anything else (strings, numbers) is escaped. */
export class Markup {
  constructor(readonly text: string) {}
}

export type Part = Markup | string | number | null | undefined | false | ReadonlyArray<Markup | null>;

const SPECIAL = /[&<>"']/;
const SPECIALS = /[&<>"']/g;
const ENTITY: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes for text and for quoted attribute values alike (the same five characters Hono escapes). */
export const escapeHtml = (s: string): string => (SPECIAL.test(s) ? s.replace(SPECIALS, (c) => ENTITY[c]!) : s);

const TEXT_SPECIAL = /[&<>]/;
const TEXT_SPECIALS = /[&<>]/g;

/** Element text (never an attribute): only &, < and > mean anything there, so JSON's many quotes stay as they are. */
export const text = (s: string): Markup => new Markup(TEXT_SPECIAL.test(s) ? s.replace(TEXT_SPECIALS, (c) => ENTITY[c]!) : s);

function part(v: Part): string {
  if (v === null || v === undefined || v === false) return '';
  if (v instanceof Markup) return v.text;
  if (typeof v === 'string') return escapeHtml(v);
  if (typeof v === 'number') return String(v);
  let out = '';
  for (const m of v) if (m) out += m.text;
  return out;
}

export function h(strings: TemplateStringsArray, ...values: Part[]): Markup {
  let out = strings[0]!;
  for (let i = 0; i < values.length; i++) out += part(values[i]!) + strings[i + 1]!;
  return new Markup(out);
}

/** Markup as a child of Hono JSX (already escaped, so JSX inserts it as is). */
export const toJsx = (m: Markup) => raw(m.text);
