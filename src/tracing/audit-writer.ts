// The audit writer: bounded queue flushed by size or time; seq and hash chained per session inside the append transaction; spool on outage.
import type { Logger } from '../log.js';
import { sessionRef, type AuditRepo, type BuiltBatch, type ChainTip, type SessionSeed, type SessionUpdate } from '../storage/audit-repo.js';
import type { NewAuditEvent } from '../storage/schema.js';
import { canonical, eventHash, sanitize, sha256 } from './audit-chain.js';
import type { AuditSpool } from './audit-spool.js';

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
  /** Payloads larger than this (serialised) go to audit_payloads. */
  inlinePayloadBytes: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
}

export interface AuditWriterStats {
  mode: 'memory' | 'spool';
  queued: number;
  spooled: number;
  spoolBytes: number;
  written: number;
  flushes: number;
  failures: number;
  dropped: number;
  lastFlushMs: number;
  lastError: string | null;
  /** False while events are being dropped (queue and spool full): fail-closed brokers refuse calls. */
  accepting: boolean;
}

export interface AuditWriter {
  /** Queues events of one call, in order; never blocks, never throws. False when they had to be dropped. */
  write(events: PendingEvent[]): boolean;
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): AuditWriterStats;
}

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
    const row = { ...p.event, time: new Date(p.event.time), seq: tip.lastSeq + 1, prevHash: tip.lastHash };
    const hash = eventHash(row, p.digest);
    const side = p.digest !== null && p.size > inlineLimit;
    if (side) out.payloads.push({ id: p.event.eventId, payload: p.payload });
    out.events.push({ ...row, hash, payload: side || p.digest === null ? null : p.payload, payloadId: side ? p.event.eventId : null });
    tips.set(ref, { lastSeq: row.seq, lastHash: hash });
    const s = sessions.get(ref) ?? { keyId: p.event.keyId, sessionId: p.event.sessionId, ...p.session, time: row.time, lastSeq: 0, lastHash: '', calls: 0, inputTokens: 0, outputTokens: 0, costMicros: 0, denials: 0, redactions: 0 };
    for (const k of ['calls', 'inputTokens', 'outputTokens', 'costMicros', 'denials', 'redactions'] as const) s[k] += p.delta[k];
    for (const k of ['teamId', 'clientName', 'clientVersion', 'userAgent'] as const) s[k] ??= p.session[k];
    if (row.time > s.time) s.time = row.time;
    s.lastSeq = row.seq;
    s.lastHash = hash;
    sessions.set(ref, s);
  }
  out.sessions = [...sessions.values()];
  return out;
}

/** Hashing and NUL-scrubbing of payloads happen here, at flush time, not on the request path. */
function prepare(p: PendingEvent): Prepared {
  const payload = sanitize(p.payload);
  if (payload === null || payload === undefined) return { ...p, payload, digest: null, size: 0 };
  const text = canonical(payload);
  return { ...p, payload, digest: sha256(text), size: Buffer.byteLength(text) };
}

/** Prepares a batch a slice at a time, yielding between slices so a large flush never stalls requests in flight. */
async function prepareAll(batch: PendingEvent[]): Promise<Prepared[]> {
  const out: Prepared[] = [];
  for (let i = 0; i < batch.length; i += PREPARE_SLICE) {
    if (i > 0) await new Promise<void>((r) => setImmediate(r));
    for (const p of batch.slice(i, i + PREPARE_SLICE)) out.push(prepare(p));
  }
  return out;
}

const PREPARE_SLICE = 32;

export function createAuditWriter(repo: Pick<AuditRepo, 'appendAudit'>, log: Logger, opts: AuditWriterOptions, spool: AuditSpool<PendingEvent> | null): AuditWriter {
  let queue: PendingEvent[] = [];
  let mode: 'memory' | 'spool' = spool && !spool.isEmpty() ? 'spool' : 'memory'; // leftovers of an earlier run go first
  let written = 0;
  let flushes = 0;
  let failures = 0;
  let dropped = 0;
  let lastFlushMs = 0;
  let lastError: string | null = null;
  let blocked = false;
  let backoff = 0;
  let retryAt = 0;
  let running: Promise<void> | null = null;
  const base = opts.backoffBaseMs ?? 200;
  const max = opts.backoffMaxMs ?? 30_000;

  async function append(batch: PendingEvent[], dedupe: boolean): Promise<void> {
    const prepared = await prepareAll(batch);
    const seeds = new Map<string, SessionSeed>();
    for (const p of prepared) if (!seeds.has(sessionRef(p.event))) seeds.set(sessionRef(p.event), { keyId: p.event.keyId, sessionId: p.event.sessionId, ...p.session, time: new Date(p.event.time) });
    const started = performance.now();
    await repo.appendAudit({
      seeds: [...seeds.values()],
      ...(dedupe ? { dedupeIds: prepared.map((p) => p.event.eventId) } : {}),
      build: (tips, existing) => buildBatch(prepared, tips, existing, opts.inlinePayloadBytes),
    });
    lastFlushMs = performance.now() - started;
    flushes++;
    written += batch.length;
    backoff = 0;
    blocked = false;
  }

  async function drain(): Promise<void> {
    for (;;) {
      if (queue.length) {
        const batch = queue.slice(0, opts.maxBatch);
        await append(batch, false);
        queue = queue.slice(batch.length);
        continue;
      }
      if (spool && !spool.isEmpty()) {
        const seg = await spool.oldest();
        if (!seg) continue;
        // A replay cut short (crash, outage) is replayed again; events already written are skipped by id.
        for (let i = 0; i < seg.events.length; i += opts.maxBatch) await append(seg.events.slice(i, i + opts.maxBatch), true);
        await spool.remove(seg.segment);
        continue;
      }
      mode = 'memory';
      return;
    }
  }

  function flush(force = false): Promise<void> {
    if (!force && Date.now() < retryAt) return running ?? Promise.resolve();
    running ??= drain()
      .catch((err: Error) => {
        failures++;
        lastError = err.message;
        backoff = Math.min(max, backoff ? backoff * 2 : base);
        retryAt = Date.now() + backoff;
        if (failures === 1 || failures % 10 === 0) log.warn({ err: err.message, queued: queue.length, retryInMs: backoff }, 'audit: write failed, will retry');
      })
      .finally(() => {
        running = null;
      });
    return running;
  }

  const timer = setInterval(() => void flush(), opts.flushIntervalMs);
  timer.unref();

  return {
    write(events) {
      if (mode === 'memory' && queue.length + events.length <= opts.maxQueue) {
        queue.push(...events);
        if (queue.length >= opts.maxBatch && !running) void flush();
        return true;
      }
      // Once anything is spooled, later events follow it there, so replay keeps the order.
      if (spool?.append(events)) {
        if (mode === 'memory') log.warn({ queued: queue.length }, 'audit: queue full, spooling to disk');
        mode = 'spool';
        return true;
      }
      dropped += events.length;
      blocked = true;
      if (dropped === events.length || dropped % 1000 < events.length) log.error({ dropped }, 'audit: queue and spool full, events dropped');
      return false;
    },
    flush: () => flush(true),
    async close() {
      clearInterval(timer);
      for (let attempt = 0; attempt < 3; attempt++) {
        await running;
        await flush(true);
        if (!queue.length && (!spool || spool.isEmpty())) break;
        await new Promise((r) => setTimeout(r, base));
      }
      await running;
      if (queue.length && spool) {
        await spool.prepend(queue).catch((err: Error) => log.error({ err: err.message, lost: queue.length }, 'audit: could not spool at shutdown'));
        log.warn({ spooled: queue.length }, 'audit: database unavailable at shutdown; events spooled for the next start');
        queue = [];
      } else if (queue.length) {
        log.error({ lost: queue.length }, 'audit: events not written at shutdown');
      }
      await spool?.settle();
    },
    stats() {
      const s = spool?.stats();
      return { mode, queued: queue.length, spooled: s?.events ?? 0, spoolBytes: s?.bytes ?? 0, written, flushes, failures, dropped, lastFlushMs, lastError, accepting: !blocked };
    },
  };
}
