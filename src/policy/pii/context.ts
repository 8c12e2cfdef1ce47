// A redaction context: stable numbered placeholders per distinct value, shared across the messages of one request.
import { PII_TYPES, type FindingCounts, type PiiType } from './types.js';

export interface RedactionContextOptions {
  /** Types to detect; defaults to all. */
  types?: readonly PiiType[];
}

export interface RedactionContext {
  /** Enabled types, or undefined for all. */
  readonly types: ReadonlySet<PiiType> | undefined;
  /** The placeholder for a value: the same value (after normalising) always gets the same one. */
  placeholder(type: PiiType, value: string): string;
  /** Counts the occurrence in the context's running totals. */
  record(type: PiiType): void;
  /** Occurrences seen through this context so far, e.g. for one trace event per request. */
  totals(): FindingCounts;
}

/** `Ann@Example.com` and `ann@example.com`, or a card with and without spaces, are one value to the reader. */
function normalise(type: PiiType, value: string): string {
  switch (type) {
    case 'EMAIL':
      return value.toLowerCase();
    case 'PHONE': {
      // `+1 415-555-2671` and `(415) 555-2671` are the same line; NANP numbers drop the country code.
      const d = value.replace(/\D/g, '');
      return d.length === 11 && d.startsWith('1') ? d.slice(1) : d;
    }
    case 'CREDIT_CARD':
    case 'US_SSN':
      return value.replace(/\D/g, '');
    case 'IBAN':
      return value.replace(/\s/g, '').toUpperCase();
    case 'IP_ADDRESS':
      return value.toLowerCase();
    case 'SECRET':
      return value;
  }
}

export function createRedactionContext(opts: RedactionContextOptions = {}): RedactionContext {
  // Values live only in this closure, so logging or serialising the context cannot leak them.
  const seen = new Map<string, string>();
  const next = new Map<PiiType, number>();
  const counts: FindingCounts = {};
  const types = opts.types ? new Set(opts.types.filter((t) => PII_TYPES.includes(t))) : undefined;
  return {
    types,
    placeholder(type, value) {
      const key = `${type}\u0000${normalise(type, value)}`;
      let ph = seen.get(key);
      if (ph === undefined) {
        const n = (next.get(type) ?? 0) + 1;
        next.set(type, n);
        ph = `[${type}_${n}]`;
        seen.set(key, ph);
      }
      return ph;
    },
    record(type) {
      counts[type] = (counts[type] ?? 0) + 1;
    },
    totals: () => ({ ...counts }),
  };
}

/** Adds `b` into `a` (mutates `a`). */
export function addCounts(a: FindingCounts, b: FindingCounts): FindingCounts {
  for (const t of PII_TYPES) {
    const n = b[t];
    if (n) a[t] = (a[t] ?? 0) + n;
  }
  return a;
}

export function countTotal(c: FindingCounts): number {
  let n = 0;
  for (const t of PII_TYPES) n += c[t] ?? 0;
  return n;
}
