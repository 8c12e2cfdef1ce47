// Splits a Go template into text and actions (with {{- -}} trimming, comments dropped) and an action into tokens.
import { TemplateError, type GoValue } from './go-values.js';

export type Token =
  | { k: 'dot' | '(' | ')' | '|' | ':=' | '=' | ','; adj: boolean }
  | { k: 'field'; path: string[]; adj: boolean }
  | { k: 'var'; name: string; path: string[]; adj: boolean }
  | { k: 'ident'; name: string; adj: boolean }
  | { k: 'lit'; value: GoValue; adj: boolean };

const WS = /[ \t\r\n]/;
/** Actions and words this renderer refuses rather than half-implements. */
export const UNSUPPORTED = new Set(['template', 'block', 'break', 'continue']);

/** Go escapes in "…" literals; JSON covers all of them but \x and \a \b \f \v, which a chart has no use for. */
function unquote(raw: string, where: string): string {
  if (/\\[xabfv0-7']/.test(raw)) throw new TemplateError(`${where}: unsupported escape in ${raw}`);
  return JSON.parse(raw) as string;
}

export function tokenize(src: string, where: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < src.length) {
    const start = i;
    while (i < src.length && WS.test(src[i]!)) i++;
    if (i >= src.length) break;
    const adj = i === start;
    const c = src[i]!;
    const rest = src.slice(i);
    let m: RegExpMatchArray | null;
    let len: number;
    if (c === '"') {
      m = rest.match(/^"(?:[^"\\\n]|\\.)*"/);
      if (!m) throw new TemplateError(`${where}: unterminated string`);
      out.push({ k: 'lit', value: unquote(m[0], where), adj });
      len = m[0].length;
    } else if (c === '`') {
      const end = src.indexOf('`', i + 1);
      if (end < 0) throw new TemplateError(`${where}: unterminated raw string`);
      out.push({ k: 'lit', value: src.slice(i + 1, end), adj });
      len = end + 1 - i;
    } else if ((m = rest.match(/^(\.[A-Za-z_][A-Za-z0-9_]*)+/))) {
      out.push({ k: 'field', path: m[0].slice(1).split('.'), adj });
      len = m[0].length;
    } else if (c === '.') {
      out.push({ k: 'dot', adj });
      len = 1;
    } else if ((m = rest.match(/^\$([A-Za-z_][A-Za-z0-9_]*)?((\.[A-Za-z_][A-Za-z0-9_]*)*)/))) {
      out.push({ k: 'var', name: `$${m[1] ?? ''}`, path: m[2] ? m[2].slice(1).split('.') : [], adj });
      len = m[0].length;
    } else if ((m = rest.match(/^-?\d+(\.\d+)?([eE][+-]?\d+)?(?![A-Za-z_.])/))) {
      out.push({ k: 'lit', value: m[1] || m[2] ? Number(m[0]) : BigInt(m[0]), adj });
      len = m[0].length;
    } else if ((m = rest.match(/^[A-Za-z_][A-Za-z0-9_]*/))) {
      const w = m[0];
      if (w === 'true' || w === 'false') out.push({ k: 'lit', value: w === 'true', adj });
      else if (w === 'nil') out.push({ k: 'lit', value: null, adj });
      else out.push({ k: 'ident', name: w, adj });
      len = w.length;
    } else if ((m = rest.match(/^(:=|[()|=,])/))) {
      out.push({ k: m[0] as ':=' | '(' | ')' | '|' | '=' | ',', adj });
      len = m[0].length;
    } else {
      throw new TemplateError(`${where}: unsupported syntax at "${rest.slice(0, 20)}"`);
    }
    i += len;
  }
  return out;
}

export interface Piece {
  text: string | null;
  src: string | null;
  line: number;
}

/** Splits a template into text and actions, applying `{{-` / `-}}` trimming and dropping comments. */
export function scan(src: string, name: string): Piece[] {
  const out: Piece[] = [];
  let i = 0;
  let trimNext = false;
  while (i <= src.length) {
    const open = src.indexOf('{{', i);
    let text = src.slice(i, open < 0 ? src.length : open);
    if (trimNext) text = text.replace(/^[ \t\r\n]+/, '');
    if (open < 0) {
      out.push({ text, src: null, line: 0 });
      break;
    }
    const line = src.slice(0, open).split('\n').length;
    let j = open + 2;
    if (src[j] === '-' && WS.test(src[j + 1] ?? '')) {
      text = text.replace(/[ \t\r\n]+$/, '');
      j += 2;
    }
    out.push({ text, src: null, line });
    // The closing braces outside string literals.
    let k = j;
    let quote: string | null = null;
    for (; k < src.length; k++) {
      const c = src[k]!;
      if (quote) {
        if (c === '\\' && quote === '"') k++;
        else if (c === quote) quote = null;
      } else if (c === '"' || c === '`') quote = c;
      else if (c === '}' && src[k + 1] === '}') break;
    }
    if (k >= src.length) throw new TemplateError(`${name}:${line}: unclosed action`);
    let body = src.slice(j, k);
    trimNext = /[ \t\r\n]-$/.test(body);
    if (trimNext) body = body.slice(0, -1);
    const trimmed = body.trim();
    if (!(trimmed.startsWith('/*') && trimmed.endsWith('*/'))) out.push({ text: null, src: body, line });
    i = k + 2;
  }
  return out;
}
