// IBANs (country length + mod-97) and US SSNs (SSA area/group/serial rules); payment cards are in detector-card.ts.
import { regexDetector } from './scan.js';
import type { Detector } from './types.js';
import { ibanChecksumValid, ibanLength, ssnValid } from './validators.js';

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
  // Both separators alike, spelled out rather than as a backreference, which keeps the regex on V8's fast path.
  re: /(?<![\w.$#\/-])\d{3}(?:-\d{2}-|\x20\d{2}\x20)\d{4}(?![\w-]|[.,\/]\d)/g,
  check(m) {
    const s = m[0];
    return ssnValid(s.slice(0, 3), s.slice(4, 6), s.slice(7, 11)) ? { start: m.index, end: m.index + s.length } : null;
  },
});
