// The audit hash chain: canonical serialisation, event and payload hashes, and verification of a session's rows.
import * as crypto from 'node:crypto';
import type { AuditEventRow, NewAuditEvent } from '../storage/schema.js';

/** The fields an event's hash covers, in a fixed list so columns added later do not change old hashes. */
export const HASHED_FIELDS = [
  'eventId', 'keyId', 'sessionId', 'seq', 'time', 'kind', 'requestId', 'teamId', 'traceId', 'spanId',
  'operation', 'provider', 'requestModel', 'responseModel', 'inputTokens', 'outputTokens', 'toolName',
  'promptName', 'mcpMethod', 'mcpSessionId', 'resourceUri', 'mcpServer', 'stream', 'step', 'decision',
  'rule', 'reason', 'status', 'errorCode', 'latencyMs', 'costMicros', 'findings', 'prevHash',
] as const satisfies ReadonlyArray<keyof NewAuditEvent>;

/** Columns added later: covered by the hash when they hold a value. */
export const LATER_FIELDS = ['door', 'cache', 'cacheSimilarity', 'savedCostMicros'] as const satisfies ReadonlyArray<keyof NewAuditEvent>;

export const CHAIN_VERSION = 1;

/** The canonical text of a value that needs no walk (anything but an array or a plain object), else null. */
function leaf(v: unknown): string | null {
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'number':
      return Number.isFinite(v) ? String(v) : 'null'; // String(-0) is '0', as JSON.stringify writes it
    case 'boolean':
      return v ? 'true' : 'false';
    case 'bigint':
      return v.toString();
    case 'object':
      if (v === null) return 'null';
      // An ISO string has nothing to escape; an invalid date throws, as it always has.
      return v instanceof Date ? `"${v.toISOString()}"` : null;
    default:
      return 'null'; // undefined, functions, symbols
  }
}

/** `"key":` texts of keys seen before: the same few dozen keys recur in every payload, and quoting is most of a key's cost. */
const keyTexts = new Map<string, string>();
const KEY_CACHE_MAX = 4096;

function keyText(k: string): string {
  let t = keyTexts.get(k);
  if (t === undefined) {
    t = `${JSON.stringify(k)}:`;
    if (k.length <= 64) {
      if (keyTexts.size >= KEY_CACHE_MAX) keyTexts.clear(); // clients choose keys: the cache stays bounded
      keyTexts.set(k, t);
    }
  }
  return t;
}

/** An array or object being written: the next index (into its sorted keys, for an object) and the separator before it. */
interface Frame {
  src: unknown[] | Record<string, unknown>;
  /** Sorted keys for an object, null for an array. */
  keys: string[] | null;
  i: number;
  sep: string;
}

/**
 * Writes canonical text with an explicit stack (client data nested thousands deep cannot overflow the call stack), in steps,
 * so one algorithm serves the one-go path for small values and the sliced path for huge ones. Text goes onto one string:
 * no token objects, no pieces to join; leaves are written in a tight loop over their container.
 */
class CanonicalWriter {
  text: string;
  private readonly frames: Frame[] = [];

  constructor(value: unknown) {
    this.text = leaf(value) ?? this.open(value as object);
  }

  private open(v: object): string {
    if (Array.isArray(v)) {
      this.frames.push({ src: v, keys: null, i: 0, sep: '' });
      return '[';
    }
    // The default sort compares UTF-16 code units, the order the chain has always used.
    this.frames.push({ src: v as Record<string, unknown>, keys: Object.keys(v).sort(), i: 0, sep: '' });
    return '{';
  }

  /** Writes at most about `steps` more values; true once the text is complete. */
  run(steps: number): boolean {
    const frames = this.frames;
    let text = this.text;
    let n = 0;
    while (frames.length && n < steps) {
      const f = frames[frames.length - 1]!;
      let child: object | null = null;
      const keys = f.keys;
      const len = keys === null ? (f.src as unknown[]).length : keys.length;
      while (f.i < len && n++ < steps) {
        let v: unknown;
        if (keys === null) {
          v = (f.src as unknown[])[f.i++]; // a hole reads as undefined and is written as null
          text += f.sep;
        } else {
          const k = keys[f.i++]!;
          v = (f.src as Record<string, unknown>)[k];
          if (v === undefined) continue; // undefined members are dropped
          text += f.sep + keyText(k);
        }
        f.sep = ',';
        const l = leaf(v);
        if (l === null) {
          child = v as object;
          break;
        }
        text += l;
      }
      if (child !== null) text += this.open(child);
      else if (f.i === len) {
        text += keys === null ? ']' : '}';
        frames.pop();
      }
    }
    this.text = text;
    return frames.length === 0;
  }
}

/** Values written between yields of the sliced walk. */
const SLICE_STEPS = 1024;

/**
 * JSON with object keys sorted at every level, dates as ISO strings, undefined dropped, non-finite numbers as null,
 * bigints as digits (RFC 8785 in spirit). Yields every thousand values or so, for `runSliced` on payloads of any size.
 */
export function* canonicalWalk(value: unknown): Generator<void, string> {
  const w = new CanonicalWriter(value);
  while (!w.run(SLICE_STEPS)) yield;
  return w.text;
}

/** The same text in one go, without a generator: for event content and other small values. */
export function canonical(value: unknown): string {
  const l = leaf(value);
  if (l !== null) return l;
  const w = new CanonicalWriter(value);
  w.run(Number.POSITIVE_INFINITY);
  return w.text;
}

/** crypto.hash (Node 20.12+) skips the Hash object a createHash chain builds; both read a string as UTF-8. */
export const sha256: (s: string) => string =
  typeof crypto.hash === 'function' ? (s) => crypto.hash('sha256', s, 'hex') : (s) => crypto.createHash('sha256').update(s).digest('hex');

export function payloadHash(payload: unknown): string | null {
  return payload === null || payload === undefined ? null : sha256(canonical(payload));
}

type EventField = (typeof HASHED_FIELDS)[number] | (typeof LATER_FIELDS)[number];
type Hashable = Partial<Record<EventField, unknown>>;

/**
 * The event content's members in canonical (sorted) order with their `"key":` text, worked out once: the content is
 * { v, payloadHash, ...HASHED_FIELDS, ...LATER_FIELDS that are set }, written without building and sorting an object per event.
 */
const EVENT_MEMBERS = (['v', 'payloadHash', ...HASHED_FIELDS, ...LATER_FIELDS] as const)
  .map((key) => ({ key, prefix: `${JSON.stringify(key)}:`, later: (LATER_FIELDS as readonly string[]).includes(key) }))
  .sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));

/** sha256 over the canonical event content, the previous hash and the payload's hash. */
export function eventHash(row: Hashable, payloadDigest: string | null): string {
  let text = '{';
  let sep = '';
  for (const m of EVENT_MEMBERS) {
    const v = m.key === 'v' ? CHAIN_VERSION : m.key === 'payloadHash' ? payloadDigest : row[m.key];
    // Columns added after the chain began are hashed only when set, so rows written before them verify unchanged.
    if (m.later && v == null) continue;
    text += `${sep}${m.prefix}${canonical(v ?? null)}`;
    sep = ',';
  }
  return sha256(`${text}}`);
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
