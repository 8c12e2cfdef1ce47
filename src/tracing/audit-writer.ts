// The audit writer: the batched writer's sink for audit events; seq and hash chained per session inside the append transaction.
import type { Logger } from '../log.js';
import { sessionRef, type AuditRepo, type BuiltBatch, type ChainTip, type SessionSeed, type SessionUpdate } from '../storage/audit-repo.js';
import { isRefusal } from '../storage/db-error.js';
import type { Repo } from '../storage/repo.js';
import type { NewAuditEvent } from '../storage/schema.js';
import { runSliced, storableText, storableWalk } from '../storage/storable.js';
import { canonicalWalk, eventHash, sha256 } from './audit-chain.js';
import { approxBytes } from './approx-bytes.js';
import { createBatchWriter, type BatchSink, type BatchWriter, type BatchWriterStats } from './batch-writer.js';
import type { Spool } from './spool.js';

type ChainFields = 'id' | 'seq' | 'prevHash' | 'hash' | 'payload' | 'payloadId' | 'time';

/** One event as recorded on the request path: no seq or hash yet (those are assigned at flush, in order). */
export interface PendingEvent {
  event: Omit<NewAuditEvent, ChainFields> & { eventId: string; keyId: string; sessionId: string; time: string };
  payload: unknown;
  session: Omit<SessionSeed, 'keyId' | 'sessionId' | 'time'>;
  delta: Pick<SessionUpdate, 'calls' | 'inputTokens' | 'outputTokens' | 'costMicros' | 'denials' | 'redactions'>;
}

export interface AuditWriterOptions {
  flushIntervalMs: number;
  maxBatch: number;
  /** Events held in memory; past this they go to the spool (or are dropped, loudly, without one). */
  maxQueue: number;
  /** What those events may hold in memory, payloads included (estimated); past it they go to the spool too. */
  maxQueueBytes: number;
  /** Payloads larger than this (serialised) go to audit_payloads. */
  inlinePayloadBytes: number;
  /** Payloads are cut to about this size (and marked `truncated`). */
  maxPayloadBytes: number;
  stuckAfterMs: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export type AuditWriterStats = BatchWriterStats;
export type AuditWriter = BatchWriter<PendingEvent>;

interface Prepared extends PendingEvent {
  digest: string | null;
  size: number;
}

/** Assigns seq and hash per session from the locked tips, in queue order; pure, so tests can drive it. */
export function buildBatch(batch: Prepared[], tips: Map<string, ChainTip>, existing: Set<string>, inlineLimit: number): BuiltBatch {
  const out: BuiltBatch = { events: [], payloads: [], sessions: [] };
  const sessions = new Map<string, SessionUpdate>();
  for (const p of batch) {
    if (existing.has(p.event.eventId)) continue;
    const ref = sessionRef(p.event);
    const tip = tips.get(ref) ?? { lastSeq: 0, lastHash: '' };
    const side = p.digest !== null && p.size > inlineLimit;
    if (side) out.payloads.push({ id: p.event.eventId, payload: p.payload });
    // The chain fields come before the spread: Node 20's V8 takes µs per property added after a `{ ...spread }` copy.
    // (A pending event never carries them, so the order changes nothing.)
    const row: NewAuditEvent & { seq: number; time: Date; hash: string } = {
      seq: tip.lastSeq + 1,
      prevHash: tip.lastHash,
      hash: '',
      payload: side || p.digest === null ? null : p.payload,
      payloadId: side ? p.event.eventId : null,
      ...p.event,
      time: new Date(p.event.time),
    };
    row.hash = eventHash(row, p.digest);
    out.events.push(row);
    tips.set(ref, { lastSeq: row.seq, lastHash: row.hash });
    const s = sessions.get(ref) ?? {
      keyId: p.event.keyId, sessionId: p.event.sessionId, teamId: p.session.teamId, clientName: p.session.clientName, clientVersion: p.session.clientVersion,
      userAgent: p.session.userAgent, time: row.time, lastSeq: 0, lastHash: '', calls: 0, inputTokens: 0, outputTokens: 0, costMicros: 0, denials: 0, redactions: 0,
    };
    for (const k of ['calls', 'inputTokens', 'outputTokens', 'costMicros', 'denials', 'redactions'] as const) s[k] += p.delta[k];
    for (const k of ['teamId', 'clientName', 'clientVersion', 'userAgent'] as const) s[k] ??= p.session[k];
    if (row.time > s.time) s.time = row.time;
    s.lastSeq = row.seq;
    s.lastHash = row.hash;
    sessions.set(ref, s);
  }
  out.sessions = [...sessions.values()];
  return out;
}

/** Payload sanitising, size cut and hashing happen here, at flush time and in slices, never on the request path. */
async function prepare(p: PendingEvent, maxBytes: number): Promise<Prepared> {
  if (p.payload === null || p.payload === undefined) return { event: p.event, payload: null, session: p.session, delta: p.delta, digest: null, size: 0 };
  const s = await runSliced(storableWalk(p.payload, { maxDepth: PAYLOAD_DEPTH, maxBytes }));
  const payload = s.truncated && s.value && typeof s.value === 'object' && !Array.isArray(s.value) ? { ...s.value, truncated: true } : s.value;
  const text = await runSliced(canonicalWalk(payload));
  return { event: p.event, payload, session: p.session, delta: p.delta, digest: sha256(text), size: Buffer.byteLength(text) };
}

/** Payload bytes per append transaction: one statement parameter is serialised in one go, so it is kept small. */
const TRANSACTION_BYTES = 4 * 1024 * 1024;

/** Consecutive groups of at most `max` payload bytes (a single larger event is a group of its own). */
function bySize(items: Prepared[], max: number): Prepared[][] {
  const out: Prepared[][] = [];
  let cur: Prepared[] = [];
  let bytes = 0;
  for (const p of items) {
    if (cur.length && bytes + p.size > max) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
    cur.push(p);
    bytes += p.size;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** JSON nested deeper than this is cut: Postgres' jsonb parser gives up on deep nesting, and no reviewer reads level 65. */
const PAYLOAD_DEPTH = 64;

/** What stands in the chain for an event the database refused: the chain stays whole and says where the event went. */
function gapFor(p: PendingEvent, deadLetterId: number, reason: string): PendingEvent {
  const e = p.event;
  return {
    event: {
      eventId: e.eventId,
      keyId: e.keyId,
      sessionId: e.sessionId,
      time: e.time,
      requestId: e.requestId,
      kind: 'gap',
      decision: e.decision ?? null,
      status: e.status ?? null,
      reason: storableText(`the ${e.kind} event could not be stored (${reason}); kept as dead letter ${deadLetterId}`, 1000),
    },
    payload: null,
    session: { teamId: null, clientName: null, clientVersion: null, userAgent: null },
    delta: p.delta,
  };
}

export type AuditSink = Pick<AuditRepo, 'appendAudit'> & Pick<Repo, 'insertDeadLetter'>;

/** An event row without its payload, roughly: ids, names, counts, the decision's reason. */
const EVENT_ROW_BYTES = 1024;

export function createAuditWriter(repo: AuditSink, log: Logger, opts: AuditWriterOptions, spool: Spool<PendingEvent> | null): AuditWriter {
  const prepared = new WeakMap<PendingEvent, Prepared>();
  const prepareAll = async (batch: PendingEvent[]): Promise<Prepared[]> => {
    const out: Prepared[] = [];
    for (const p of batch) {
      let done = prepared.get(p);
      if (!done) prepared.set(p, (done = await prepare(p, opts.maxPayloadBytes)));
      out.push(done);
    }
    return out;
  };
  const sink: BatchSink<PendingEvent> = {
    async write(batch, replay) {
      const groups = bySize(await prepareAll(batch), TRANSACTION_BYTES);
      // Several transactions: a retry after a partial commit must skip what the first ones wrote.
      const dedupe = replay || groups.length > 1;
      for (const ready of groups) {
        const seeds = new Map<string, SessionSeed>();
        for (const p of ready) {
          const ref = sessionRef(p.event);
          if (!seeds.has(ref)) seeds.set(ref, { keyId: p.event.keyId, sessionId: p.event.sessionId, ...p.session, time: new Date(p.event.time) });
        }
        await repo.appendAudit({
          seeds: [...seeds.values()],
          ...(dedupe ? { dedupeIds: ready.map((p) => p.event.eventId) } : {}),
          build: (tips, existing) => buildBatch(ready, tips, existing, opts.inlinePayloadBytes),
        });
      }
    },
    isRefusal,
    async reject(item, reason) {
      const id = await repo.insertDeadLetter('audit', reason, item);
      return gapFor(item, id, reason);
    },
  };
  // A queued event keeps its whole payload alive (the request may be the body limit's size) until it is prepared:
  // weighed here, bounded with the event row's own fields, and counted no further than the bound itself.
  const weigh = (p: PendingEvent) => EVENT_ROW_BYTES + approxBytes(p.payload, opts.maxQueueBytes);
  return createBatchWriter(sink, log, { name: 'audit', ...opts, weigh }, spool);
}
