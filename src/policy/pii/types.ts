// Vocabulary of the PII/secrets component: entity types, findings, and the detector contract.

/** Entity types; each names its placeholder (`[EMAIL_1]`, `[SECRET_2]` …). */
export const PII_TYPES = ['EMAIL', 'PHONE', 'CREDIT_CARD', 'IBAN', 'US_SSN', 'IP_ADDRESS', 'SECRET'] as const;
export type PiiType = (typeof PII_TYPES)[number];

/** Which secret family matched; lets the trace say "an AWS key" without carrying the key. */
export type SecretKind =
  | 'openai'
  | 'anthropic'
  | 'aws_access_key_id'
  | 'aws_secret_access_key'
  | 'github'
  | 'slack'
  | 'google_api_key'
  | 'stripe'
  | 'private_key'
  | 'jwt'
  | 'bearer';

/** Where an entity is; deliberately no value, so findings can be logged and traced as they are. */
export interface Finding {
  type: PiiType;
  kind?: SecretKind;
  /** UTF-16 offsets into the scanned text, end exclusive. */
  start: number;
  end: number;
}

/** Occurrences per type, the only thing that leaves this component for the trace. */
export type FindingCounts = Partial<Record<PiiType, number>>;

/** A validated match before overlap resolution; `matchStart` is where the regex began (≤ start, e.g. `Bearer `). */
export interface Candidate extends Finding {
  matchStart: number;
  /** Breaks ties between equally long overlapping candidates: higher is more specific. */
  priority: number;
}

export interface Detector {
  type: PiiType;
  /** Appends validated candidates that begin at or after `from`; text before `from` is left context only. */
  scan(text: string, from: number, out: Candidate[]): void;
}
