// Invisible Unicode: the hidden_unicode rule, the folding that lets other rules see through it, and printable excerpts.
import { SEVERITY_RANK, type Hit, type Severity } from './injection-types.js';

/** Unicode tag characters: ASCII shadowed at U+E0000, invisible in every UI, read by models. */
const TAG_RUN = /[\u{E0000}-\u{E007F}]+/gu;
/** Characters a reader does not see: controls (not \t \n \r), format (Cf), fillers, variation selectors. */
const INVISIBLE =
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F\u00AD\u061C\u115F\u1160\u180E\u200B-\u200F\u202A-\u202E\u2060-\u206F\u3164\uFE00-\uFE0F\uFEFF\uFFA0\uFFF9-\uFFFB\u{E0000}-\u{E007F}\u{E0100}-\u{E01EF}]|\p{Cf}/gu;
const RTL_LETTER = /[\p{Script=Hebrew}\p{Script=Arabic}\p{Script=Syriac}\p{Script=Thaana}\p{Script=Nko}]/u;
/** Scripts that use ZWJ/ZWNJ for shaping, or ZWSP as a word break: there the characters are ordinary. */
const JOINING_SCRIPT = /[\p{L}\p{M}]/u;
const LATIN_LIKE = /[\p{Script=Latin}\p{Script=Greek}\p{Script=Cyrillic}\p{Script=Common}]/u;
const WORD_BREAK_SCRIPT = /[\p{Script=Thai}\p{Script=Lao}\p{Script=Khmer}\p{Script=Myanmar}\p{Script=Tibetan}\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}]/u;
const EMOJI = /\p{Extended_Pictographic}|[\u{1F3FB}-\u{1F3FF}\uFE0F\u20E3]/u;

export const EXCERPT_MAX = 120;
const WINDOW = 80;

const hex = (cp: number) => `<U+${cp.toString(16).toUpperCase().padStart(4, '0')}>`;

/** Tag characters U+E0020–E007E spell printable ASCII; the rest (language tag, cancel) spell nothing. */
export function decodeTags(run: string): string {
  let out = '';
  for (const ch of run) {
    const cp = ch.codePointAt(0)! - 0xe0000;
    if (cp >= 0x20 && cp <= 0x7e) out += String.fromCharCode(cp);
  }
  return out;
}

/** The text as a reviewer should read it: tag payloads decoded, other hidden characters named, newlines escaped. */
export function visible(s: string): string {
  return s
    .replace(TAG_RUN, (run) => `<TAG:${decodeTags(run)}>`)
    .replace(INVISIBLE, (ch) => hex(ch.codePointAt(0)!))
    .replace(/\r?\n/g, '\\n')
    .replace(/\r/g, '\\r')
    .replace(/\t/g, ' ');
}

/** A printable window of about 80 characters around `[index, index+length)`, at most EXCERPT_MAX long. */
export function excerptAt(text: string, index: number, length: number): string {
  const start = Math.max(0, index - 20);
  const end = Math.min(text.length, Math.max(index + length, start + WINDOW));
  let out = visible(text.slice(start, Math.min(end, start + 4 * WINDOW)));
  if (start > 0) out = `…${out}`;
  if (out.length > EXCERPT_MAX) out = `${out.slice(0, EXCERPT_MAX - 1)}…`;
  else if (end < text.length) out += '…';
  return out;
}

/** Rough homoglyphs of Latin letters (Cyrillic, Greek), so "іgnore" matches "ignore"; used for matching only. */
const CONFUSABLE: Record<string, string> = Object.fromEntries(
  [...'аеорсухіјѕԁАВЕКМНОРСТХІοαινρυκΑΒΕΗΙΚΜΝΟΡΤΧΥΖ'].map((c, i) => [c, 'aeopcyxijsdABEKMHOPCTXIoaivpukABEHIKMNOPTXYZ'[i]!]),
);
const CONFUSABLE_RE = new RegExp(`[${Object.keys(CONFUSABLE).join('')}]`, 'g');

/**
 * The text the pattern rules read: tag payloads decoded in place (spaced off so they stay separate words),
 * other invisible characters dropped (they split keywords: "ig\u200Bnore"), NFKC (fullwidth, math letters),
 * homoglyphs folded, runs of blanks collapsed. Newlines stay, for line-anchored patterns.
 */
export function fold(text: string): string {
  return text
    .replace(TAG_RUN, (run) => ` ${decodeTags(run)} `)
    .replace(INVISIBLE, '')
    .normalize('NFKC')
    .replace(CONFUSABLE_RE, (c) => CONFUSABLE[c] ?? c)
    .replace(/[ \t\u00A0\u2000-\u200A\u202F\u205F\u3000]+/g, ' ');
}

function charBefore(s: string, i: number): string {
  if (i <= 0) return '';
  const lo = s.charCodeAt(i - 1);
  return lo >= 0xdc00 && lo <= 0xdfff && i >= 2 ? s.slice(i - 2, i) : s[i - 1]!;
}

function charAfter(s: string, i: number): string {
  const cp = s.codePointAt(i);
  return cp === undefined ? '' : String.fromCodePoint(cp);
}

const isVariationSelector = (cp: number) => (cp >= 0xfe00 && cp <= 0xfe0f) || (cp >= 0xe0100 && cp <= 0xe01ef);

/** Classifies one invisible character in context; null when it is ordinary there (emoji ZWJ, Persian ZWNJ, a BOM). */
function classify(s: string, i: number, ch: string, rtl: () => boolean): { signal: string; severity: Severity } | null {
  const cp = ch.codePointAt(0)!;
  if (cp >= 0xe0000 && cp <= 0xe007f) return { signal: 'tag_chars', severity: 'high' };
  if ((cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069)) return { signal: 'bidi_override', severity: 'high' };
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) return { signal: 'control', severity: 'high' };
  if (isVariationSelector(cp)) {
    const next = s.codePointAt(i + ch.length);
    return next !== undefined && isVariationSelector(next) ? { signal: 'variation_run', severity: 'high' } : null;
  }
  if (cp === 0x200e || cp === 0x200f || cp === 0x061c) return rtl() ? null : { signal: 'bidi_mark', severity: 'medium' };
  // Arabic-script number signs and end-of-ayah marks are format characters with visible meaning there.
  if (((cp >= 0x0600 && cp <= 0x0605) || cp === 0x06dd || cp === 0x070f || cp === 0x08e2) && rtl()) return null;
  const before = charBefore(s, i);
  const after = charAfter(s, i + ch.length);
  if (cp === 0xfeff && i === 0) return null;
  if (cp === 0x200d && EMOJI.test(before) && EMOJI.test(after)) return null;
  if ((cp === 0x200c || cp === 0x200d) && JOINING_SCRIPT.test(before) && !LATIN_LIKE.test(before)) return null;
  if (cp === 0x200b && (WORD_BREAK_SCRIPT.test(before) || WORD_BREAK_SCRIPT.test(after))) return null;
  if (cp === 0x200b || cp === 0x200c || cp === 0x200d || cp === 0x2060 || cp === 0xfeff || cp === 0x180e) {
    return { signal: 'zero_width', severity: 'medium' };
  }
  return { signal: 'format', severity: 'medium' };
}


/**
 * The strongest hidden character in `text`, with an excerpt at its first occurrence (a tag run decoded whole).
 * `soft` (tool results: web pages, files) lowers stray zero-width and format characters to low severity.
 */
export function hiddenUnicode(text: string, soft = false): Hit | null {
  let best: { signal: string; severity: Severity; index: number; length: number } | null = null;
  let rtlCache: boolean | undefined;
  const rtl = () => (rtlCache ??= RTL_LETTER.test(text));
  INVISIBLE.lastIndex = 0;
  for (let m = INVISIBLE.exec(text); m; m = INVISIBLE.exec(text)) {
    const c = classify(text, m.index, m[0], rtl);
    if (!c) continue;
    const severity: Severity = soft && c.severity === 'medium' ? 'low' : c.severity;
    if (!best || SEVERITY_RANK[severity] > SEVERITY_RANK[best.severity]) {
      let length = m[0].length;
      if (c.signal === 'tag_chars') {
        TAG_RUN.lastIndex = m.index;
        length = TAG_RUN.exec(text)?.[0].length ?? length;
      }
      best = { signal: c.signal, severity, index: m.index, length };
      if (severity === 'high') break;
    }
  }
  INVISIBLE.lastIndex = 0;
  if (!best) return null;
  return { rule: 'hidden_unicode', signal: best.signal, severity: best.severity, excerpt: excerptAt(text, best.index, best.length) };
}
