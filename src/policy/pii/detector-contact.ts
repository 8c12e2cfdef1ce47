// E-mail and phone detectors: strict shapes plus validation, so years, versions, prices and ids stay untouched.
import { anchoredDetector, regexDetector } from './scan.js';
import type { Detector } from './types.js';

// `icon@2x.png` and `name@1.2.3` are file names and package specs, not mailboxes.
const FILE_TLDS = new Set(['png', 'jpg', 'jpeg', 'gif', 'svg', 'webp', 'ico', 'js', 'mjs', 'cjs', 'ts', 'tsx', 'jsx', 'css', 'scss', 'json', 'map', 'md', 'txt', 'yml', 'yaml', 'lock', 'py', 'rb', 'go', 'rs', 'java', 'html', 'vue', 'wasm']);

/** Characters of a local part, which are also the characters the lookbehind refuses before one. */
const isLocalChar = (c: number) =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 46 || c === 37 || c === 43 || c === 45;

/** The local part is the whole run of local-part characters before the `@` (the lookbehind forbids a later start). */
function localStart(text: string, at: number): number {
  let s = at;
  while (s > 0 && at - s <= 64 && isLocalChar(text.charCodeAt(s - 1))) s--;
  if (s === at || at - s > 64) return -1;
  const c = text.charCodeAt(s);
  return (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) ? s : -1;
}

export const emailDetector: Detector = anchoredDetector({
  type: 'EMAIL',
  priority: 50,
  anchor: '@',
  startOf: localStart,
  re: /(?<![\w.%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]{0,63})@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.){1,8}[A-Za-z]{2,24}(?![\w-]|\.[A-Za-z0-9])/g,
  check(m) {
    const s = m[0];
    const at = s.indexOf('@');
    const local = s.slice(0, at);
    if (local.includes('..') || local.endsWith('.')) return null;
    const tld = s.slice(s.lastIndexOf('.') + 1).toLowerCase();
    if (FILE_TLDS.has(tld)) return null;
    return { start: m.index, end: m.index + s.length };
  },
});

/** NANP: area and exchange codes start 2-9 and the area code is not an N11 service code. */
function nanpValid(d: string): boolean {
  const area = d.slice(0, 3);
  const exch = d.slice(3, 6);
  return /^[2-9]/.test(area) && !/^[2-9]11$/.test(area) && /^[2-9]/.test(exch);
}

/** Dashes and dots mixed (`+1 415-555.2671`) read like a version or a code, not a phone number. */
function separatorsConsistent(s: string): boolean {
  return !(s.includes('-') && s.includes('.'));
}

// E.164 with a leading `+`: 8-15 digits, optional single spaces, dashes, dots or a parenthesised group.
export const e164PhoneDetector: Detector = regexDetector({
  type: 'PHONE',
  priority: 30,
  re: /(?<![\w+])\+[1-9](?:[ .-]?\(?\d\)?){6,14}(?![\w+]|[.,-]?\d)/g,
  check(m) {
    const s = m[0];
    const digits = s.replace(/\D/g, '');
    if (digits.length < 8 || digits.length > 15) return null;
    if ((s.match(/\(/g) ?? []).length !== (s.match(/\)/g) ?? []).length) return null;
    if (/[ .-]{2}|\(\)/.test(s) || !separatorsConsistent(s)) return null;
    if (digits[0] === '1' && (digits.length !== 11 || !nanpValid(digits.slice(1)))) return null;
    return { start: m.index, end: m.index + s.length };
  },
});

// NANP without `+`: (415) 555-2671, 415-555-2671, 415.555.2671, optional leading `1-`; a separator is required,
// because a bare 10-digit run is far more often an id or a timestamp than a phone number.
export const nanpPhoneDetector: Detector = regexDetector({
  type: 'PHONE',
  priority: 30,
  re: /(?<![\w+$€£.\/-])(?:1[ .-])?(?:\(\d{3}\) ?|\d{3}[ .-])\d{3}[ .-]\d{4}(?![\w-]|[.,/]\d)/g,
  check(m) {
    const s = m[0];
    const digits = s.replace(/\D/g, '');
    const local = digits.length === 11 ? digits.slice(1) : digits;
    if (!nanpValid(local)) return null;
    const body = s.replace(/^1[ .-]/, '');
    // `415-555.2671` mixes styles; with an area code in parentheses any one separator may follow.
    if (!body.startsWith('(') && body[3] !== body[7]) return null;
    // `415 555 2671` with spaces only reads like three counts in a table; demand dashes, dots or parentheses.
    if (!s.includes('(') && !/[.-]/.test(s)) return null;
    return { start: m.index, end: m.index + s.length };
  },
});
