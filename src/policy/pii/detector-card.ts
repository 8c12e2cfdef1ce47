// Payment cards as a one-pass scanner: digit groups with one kind of separator, issuer prefix and length, Luhn.
import type { Candidate, Detector } from './types.js';
import { cardIssuerAllows } from './validators.js';

/*
 * This replaces the regex /(?<![\w.,$€£#\/-])\d(?:[ -]?\d){11,18}(?![\w-]|[.,\/]\d)/ plus a validator that dropped
 * trailing groups one by one. The regex matched at every digit that follows a space, and its validator rebuilt
 * strings for each of those matches, so `"1 ".repeat(n)` cost microseconds per character. Here each start reads
 * at most 19 digits once.
 * The accepted spans are the same: the longest run of whole groups (12-19 digits) that the old lookahead allowed
 * to end, then trailing groups dropped until one passes grouping, issuer and Luhn. Every issuer range starts
 * with 2-6, so other first digits are not read on from.
 */

const MAX_DIGITS = 19;
const MAX_GROUPS = MAX_DIGITS;

const isDigit = (c: number) => c >= 48 && c <= 57;
const isWord = (c: number) => isDigit(c) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;

/** The old lookahead: the number ends here unless a word, a dash or `.5`, `,5`, `/5` follows. */
function endAllowed(text: string, e: number): boolean {
  const c = text.charCodeAt(e); // NaN past the end
  if (isWord(c) || c === 45) return false;
  if ((c === 46 || c === 44 || c === 47) && isDigit(text.charCodeAt(e + 1))) return false;
  return true;
}

// Scratch space reused across calls: group end offsets, cumulative digit counts and the separator before each group.
const groupStart = new Int32Array(MAX_GROUPS);
const groupEnd = new Int32Array(MAX_GROUPS);
const groupCum = new Int32Array(MAX_GROUPS);
const groupSep = new Int32Array(MAX_GROUPS);

/** Grouping a person would type: no separators, or groups of 3-6 digits split by one kind of separator. */
function groupsPlausible(last: number): boolean {
  if (last === 0) return true;
  const sep = groupSep[1];
  for (let g = 0; g <= last; g++) {
    if (g > 0 && groupSep[g] !== sep) return false;
    const len = (groupCum[g] as number) - (g > 0 ? (groupCum[g - 1] as number) : 0);
    if (len < 3 || len > 6) return false;
  }
  return true;
}

/** Luhn over the digits of groups 0..last, read straight from the text. */
function luhnGroups(text: string, last: number): boolean {
  let sum = 0;
  let double = false;
  for (let g = last; g >= 0; g--) {
    for (let p = (groupEnd[g] as number) - 1; p >= (groupStart[g] as number); p--) {
      let d = text.charCodeAt(p) - 48;
      if (double && (d *= 2) > 9) d -= 9;
      sum += d;
      double = !double;
    }
  }
  return sum % 10 === 0;
}

/** End of the card starting at `i`, or -1. */
function cardAt(text: string, i: number): number {
  let digits = 0;
  let groups = 0;
  let pos = i;
  let sep = 0;
  for (;;) {
    const start = pos;
    while (digits + (pos - start) <= MAX_DIGITS && isDigit(text.charCodeAt(pos))) pos++;
    if (digits + (pos - start) > MAX_DIGITS) break; // a group past 19 digits can end no candidate
    digits += pos - start;
    groupStart[groups] = start;
    groupEnd[groups] = pos;
    groupCum[groups] = digits;
    groupSep[groups] = sep;
    groups++;
    // A first group of 1-2 or 7-12 digits can neither stand alone (13+) nor open a grouped card (3-6).
    if (groups === 1 && digits < 13 && (digits < 3 || digits > 6)) return -1;
    const c = text.charCodeAt(pos);
    if ((c === 32 || c === 45) && isDigit(text.charCodeAt(pos + 1)) && groups < MAX_GROUPS) {
      sep = c;
      pos++;
    } else break;
  }
  // Greedy end: the last group boundary with 12-19 digits where the number may end.
  let last = -1;
  for (let g = groups - 1; g >= 0; g--) {
    const n = groupCum[g] as number;
    if (n >= 12 && n <= MAX_DIGITS && endAllowed(text, groupEnd[g] as number)) {
      last = g;
      break;
    }
  }
  if (last < 0) return -1;
  // The issuer prefix: the first four digits, which may run across the first separator.
  let p4 = 0;
  for (let p = i, k = 0; k < 4; p++) {
    const c = text.charCodeAt(p);
    if (isDigit(c)) {
      p4 = p4 * 10 + (c - 48);
      k++;
    }
  }
  // Drop trailing groups until what is left reads as a card.
  for (let g = last; g >= 0; g--) {
    const n = groupCum[g] as number;
    if (n < 13) return -1;
    if (groupsPlausible(g) && cardIssuerAllows(p4, n) && luhnGroups(text, g)) return groupEnd[g] as number;
  }
  return -1;
}

/** Where a card may start: the old lookbehind, then a first digit that opens some issuer's range (2-6). */
const START = /(?<![\w.,$€£#\/-])[2-6]/g;

export const creditCardDetector: Detector = {
  type: 'CREDIT_CARD',
  scan(text, from, out) {
    START.lastIndex = from;
    for (let m = START.exec(text); m !== null; m = START.exec(text)) {
      const i = m.index;
      const end = cardAt(text, i);
      if (end > i) {
        const c: Candidate = { type: 'CREDIT_CARD', start: i, end, matchStart: i, priority: 80 };
        out.push(c);
        START.lastIndex = end;
      }
    }
  },
};
