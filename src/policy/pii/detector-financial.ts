// Payment cards (Luhn + issuer prefix), IBANs (country length + mod-97) and US SSNs (SSA area/group/serial rules).
import { regexDetector } from './scan.js';
import type { Detector } from './types.js';
import { ibanChecksumValid, ibanLength, knownCardIssuer, luhnValid, ssnValid } from './validators.js';

/** A card number either has no separators or groups of 3-6 digits split by one kind of separator. */
function cardGroupsPlausible(s: string): boolean {
  if (!/[ -]/.test(s)) return true;
  if (s.includes(' ') && s.includes('-')) return false;
  return s.split(/[ -]/).every((g) => g.length >= 3 && g.length <= 6);
}

export const creditCardDetector: Detector = regexDetector({
  type: 'CREDIT_CARD',
  priority: 80,
  re: /(?<![\w.,$€£#\/-])\d(?:[ -]?\d){11,18}(?![\w-]|[.,\/]\d)/g,
  check(m) {
    // The regex is greedy; `4111 1111 1111 1111 2` must still find the card in front, so drop trailing groups.
    let s = m[0];
    for (;;) {
      const digits = s.replace(/\D/g, '');
      if (digits.length < 13) return null;
      if (cardGroupsPlausible(s) && knownCardIssuer(digits) && luhnValid(digits)) {
        return { start: m.index, end: m.index + s.length };
      }
      const cut = Math.max(s.lastIndexOf(' '), s.lastIndexOf('-'));
      if (cut < 0) return null;
      s = s.slice(0, cut);
    }
  },
});

export const ibanDetector: Detector = regexDetector({
  type: 'IBAN',
  priority: 70,
  re: /(?<![\w-])[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,4})?/g,
  check(m) {
    const s = m[0];
    const expected = ibanLength(s.slice(0, 2));
    if (expected === undefined) return null;
    // Walk the match until `expected` alphanumerics are consumed; what follows must not continue the word.
    let seen = 0;
    let end = 0;
    while (end < s.length && seen < expected) {
      if (s[end] !== ' ') seen++;
      end++;
    }
    if (seen !== expected) return null;
    const after = s[end] ?? '';
    if (after !== '' && after !== ' ') return null;
    const next = m.input[m.index + end] ?? '';
    if (/[\w-]/.test(next)) return null;
    const compact = s.slice(0, end).replace(/ /g, '');
    if (!ibanChecksumValid(compact)) return null;
    return { start: m.index, end: m.index + end };
  },
});

// Formatted only (dashes or spaces): a bare 9-digit run is an id far more often than an SSN.
export const usSsnDetector: Detector = regexDetector({
  type: 'US_SSN',
  priority: 60,
  re: /(?<![\w.$#\/-])(\d{3})([- ])(\d{2})\2(\d{4})(?![\w-]|[.,\/]\d)/g,
  check(m) {
    const [, area = '', , group = '', serial = ''] = m;
    return ssnValid(area, group, serial) ? { start: m.index, end: m.index + m[0].length } : null;
  },
});
