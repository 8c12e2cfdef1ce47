// The audit hash chain: canonical serialisation, event and payload hashes, and verification of a session's rows.
import { createHash } from 'node:crypto';
import type { AuditEventRow, NewAuditEvent } from '../storage/schema.js';
import { runSync } from '../storage/storable.js';

/** The fields an event's hash covers, in a fixed list so columns added later do not change old hashes. */
export const HASHED_FIELDS = [
  'eventId', 'keyId', 'sessionId', 'seq', 'time', 'kind', 'requestId', 'teamId', 'traceId', 'spanId',
  'operation', 'provider', 'requestModel', 'responseModel', 'inputTokens', 'outputTokens', 'toolName',
  'promptName', 'mcpMethod', 'mcpSessionId', 'resourceUri', 'mcpServer', 'stream', 'step', 'decision',
  'rule', 'reason', 'status', 'errorCode', 'latencyMs', 'costMicros', 'findings', 'prevHash',
] as const satisfies ReadonlyArray<keyof NewAuditEvent>;

/** Columns added later: covered by the hash when they hold a value. */
export const LATER_FIELDS = ['door'] as const satisfies ReadonlyArray<keyof NewAuditEvent>;

export const CHAIN_VERSION = 1;

/** A piece of output text already in its final form (brackets, separators, keys). */
class Raw {
  constructor(readonly text: string) {}
}

/**
 * JSON with object keys sorted at every level, dates as ISO strings, undefined dropped (RFC 8785 in spirit).
 * Iterative with an explicit stack, so client data nested thousands deep cannot overflow the call stack.
 */
export function* canonicalWalk(value: unknown): Generator<void, string> {
  const out: string[] = [];
  const stack: unknown[] = [value];
  let n = 0;
  while (stack.length) {
    if ((++n & 1023) === 0) yield;
    const v = stack.pop();
    if (v instanceof Raw) out.push(v.text);
    else if (v === null || v === undefined) out.push('null');
    else if (v instanceof Date) out.push(JSON.stringify(v.toISOString()));
    else if (Array.isArray(v)) {
      out.push('[');
      stack.push(new Raw(']'));
      for (let i = v.length - 1; i >= 0; i--) {
        stack.push(v[i] ?? null);
        if (i > 0) stack.push(new Raw(','));
      }
    } else if (typeof v === 'object') {
      const entries = Object.entries(v as Record<string, unknown>)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      out.push('{');
      stack.push(new Raw('}'));
      for (let i = entries.length - 1; i >= 0; i--) {
        const [k, x] = entries[i]!;
        stack.push(x, new Raw(`${i > 0 ? ',' : ''}${JSON.stringify(k)}:`));
      }
    } else if (typeof v === 'number') out.push(Number.isFinite(v) ? JSON.stringify(v) : 'null');
    else if (typeof v === 'bigint') out.push(v.toString());
    else out.push(JSON.stringify(v) ?? 'null');
  }
  return out.join('');
}

export const canonical = (value: unknown): string => runSync(canonicalWalk(value));

export const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export function payloadHash(payload: unknown): string | null {
  return payload === null || payload === undefined ? null : sha256(canonical(payload));
}

type Hashable = Partial<Record<(typeof HASHED_FIELDS)[number] | (typeof LATER_FIELDS)[number], unknown>>;

/** sha256 over the canonical event content, the previous hash and the payload's hash. */
export function eventHash(row: Hashable, payloadDigest: string | null): string {
  const content: Record<string, unknown> = { v: CHAIN_VERSION, payloadHash: payloadDigest };
  for (const f of HASHED_FIELDS) content[f] = row[f] ?? null;
  // Columns added after the chain began are hashed only when set, so rows written before them verify unchanged.
  for (const f of LATER_FIELDS) if (row[f] != null) content[f] = row[f];
  return sha256(canonical(content));
}

export interface ChainAnchor {
  /** The first seq the session still has (1 unless retention cut it). */
  seq: number;
  /** The prev_hash that row must carry ('' at the start of a session). */
  hash: string;
}

export interface BrokenLink {
  seq: number;
  id: number | null;
  eventId: string | null;
  problem: 'hash_mismatch' | 'prev_hash_mismatch' | 'seq_gap' | 'payload_missing' | 'tail_missing';
  detail: string;
}

/** Walks rows in seq order; feed pages with `push`, then `end` with the session's recorded tip. */
export function createChainVerifier(anchor: ChainAnchor) {
  let expectSeq = anchor.seq;
  let prev = anchor.hash;
  let checked = 0;
  let broken: BrokenLink | null = null;
  const fail = (row: Pick<AuditEventRow, 'seq' | 'id' | 'eventId'> | null, problem: BrokenLink['problem'], detail: string, seq = row?.seq ?? expectSeq) => {
    broken ??= { seq, id: row?.id ?? null, eventId: row?.eventId ?? null, problem, detail };
  };
  return {
    /** `payload` is the inline or side-table payload; `missingPayload` when payload_id points nowhere. */
    push(row: AuditEventRow, payload: unknown, missingPayload = false): boolean {
      if (broken) return false;
      checked++;
      if (row.seq !== expectSeq) fail(row, 'seq_gap', `expected seq ${expectSeq}, found ${row.seq}`);
      else if (missingPayload) fail(row, 'payload_missing', `payload ${row.payloadId} is missing`);
      else if (row.prevHash !== prev) fail(row, 'prev_hash_mismatch', 'prev_hash does not match the previous event');
      else if (eventHash(row, payloadHash(payload)) !== row.hash) fail(row, 'hash_mismatch', 'content does not match its hash');
      expectSeq = row.seq + 1;
      prev = row.hash;
      return !broken;
    },
    end(tip: { lastSeq: number; lastHash: string }): { ok: boolean; checked: number; broken: BrokenLink | null } {
      if (!broken && tip.lastSeq >= expectSeq) fail(null, 'tail_missing', `events ${expectSeq}..${tip.lastSeq} are missing`);
      else if (!broken && tip.lastSeq === expectSeq - 1 && tip.lastSeq > 0 && tip.lastHash !== prev) {
        fail(null, 'hash_mismatch', 'the session tip does not match the last event', tip.lastSeq);
      }
      return { ok: !broken, checked, broken };
    },
  };
}
