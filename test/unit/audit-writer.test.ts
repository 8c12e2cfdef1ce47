// The audit writer against an in-memory repo: batching, outage retry, spool and ordered replay, shutdown flush.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { sessionRef, type AuditAppend, type ChainTip } from '../../src/storage/audit-repo.js';
import type { NewAuditEvent } from '../../src/storage/schema.js';
import { openSpool } from '../../src/tracing/spool.js';
import { createChainVerifier } from '../../src/tracing/audit-chain.js';
import { createAuditWriter, type PendingEvent } from '../../src/tracing/audit-writer.js';

const log = createLogger('silent');

function fakeRepo() {
  const tips = new Map<string, ChainTip>();
  const events: NewAuditEvent[] = [];
  const state = { down: false, appends: 0, poison: 'POISON' };
  const dead: Array<{ writer: string; reason: string; item: unknown }> = [];
  return {
    state,
    events,
    dead,
    async insertDeadLetter(writer: string, reason: string, item: unknown) {
      if (state.down) throw new Error('connection refused');
      dead.push({ writer, reason, item });
      return dead.length;
    },
    async appendAudit(b: AuditAppend) {
      await Promise.resolve();
      if (state.down) throw new Error('connection refused');
      state.appends++;
      const t = new Map(tips);
      const existing = new Set(events.filter((e) => b.dedupeIds?.includes(e.eventId)).map((e) => e.eventId));
      const built = b.build(t, existing);
      // Like a database refusing a value it cannot take (the whole transaction fails).
      if (built.events.some((e) => JSON.stringify(e).includes(state.poison))) throw Object.assign(new Error('invalid input syntax for type json'), { code: '22P02' });
      events.push(...built.events); // commit: all or nothing
      for (const [k, v] of t) tips.set(k, v);
    },
  };
}

let n = 0;
function ev(session = 's1'): PendingEvent {
  n++;
  return {
    event: { eventId: `e${n}`, keyId: 'k', sessionId: session, time: new Date().toISOString(), kind: 'model_call', requestId: `r${n}`, status: 200 },
    payload: { n },
    session: { teamId: null, clientName: null, clientVersion: null, userAgent: null },
    delta: { calls: 1, inputTokens: 1, outputTokens: 1, costMicros: 0, denials: 0, redactions: 0 },
  };
}
const opts = { flushIntervalMs: 10, maxBatch: 5, maxQueue: 20, maxQueueBytes: 64 * 1024 * 1024, inlinePayloadBytes: 1024, maxPayloadBytes: 64 * 1024, stuckAfterMs: 60_000, backoffBaseMs: 5, backoffMaxMs: 20 };
const until = async (f: () => boolean) => {
  for (let i = 0; i < 400 && !f(); i++) await new Promise((r) => setTimeout(r, 10));
  expect(f()).toBe(true);
};
const spoolDir = () => mkdtempSync(join(tmpdir(), 'audit-spool-test-'));
const seqs = (evs: NewAuditEvent[], s = 's1') => evs.filter((e) => e.sessionId === s).map((e) => e.seq);

describe('audit writer', () => {
  it('batches by size and time and chains seq per session', async () => {
    const repo = fakeRepo();
    const w = createAuditWriter(repo, log, opts, null);
    for (let i = 0; i < 12; i++) w.write([ev(i % 2 ? 's1' : 's2')]);
    await until(() => repo.events.length === 12);
    expect(seqs(repo.events, 's1')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(seqs(repo.events, 's2')).toEqual([1, 2, 3, 4, 5, 6]);
    expect(w.stats()).toMatchObject({ written: 12, queued: 0, failures: 0 });
    await w.close();
  });

  it('keeps events through an outage, spools past the queue bound and replays in order', async () => {
    const repo = fakeRepo();
    const spool = await openSpool<PendingEvent>(spoolDir(), { prefix: 'audit', maxBytes: 1 << 20, segmentBytes: 2048, onError: () => {} });
    const w = createAuditWriter(repo, log, opts, spool);
    repo.state.down = true;
    const ids: string[] = [];
    for (let i = 0; i < 60; i++) {
      const e = ev();
      ids.push(e.event.eventId);
      expect(w.write([e])).toBe(true);
    }
    await until(() => w.stats().failures > 1);
    expect(w.stats()).toMatchObject({ mode: 'spool', queued: 20, spooled: 40 });
    repo.state.down = false;
    await until(() => repo.events.length === 60);
    expect(repo.events.map((e) => e.eventId)).toEqual(ids);
    expect(seqs(repo.events)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    // The writer leaves spool mode after its replay step returns, just after the last rows land.
    await until(() => w.stats().mode === 'memory');
    expect(w.stats()).toMatchObject({ mode: 'memory', spooled: 0, accepting: true });
    await w.close();
  });

  it('says so, refuses and counts when queue and spool are full', async () => {
    const repo = fakeRepo();
    repo.state.down = true;
    const spool = await openSpool<PendingEvent>(spoolDir(), { prefix: 'audit', maxBytes: 2000, segmentBytes: 1000, onError: () => {} });
    const w = createAuditWriter(repo, log, { ...opts, maxQueue: 3 }, spool);
    const results = Array.from({ length: 30 }, () => w.write([ev()]));
    expect(results.filter((r) => !r).length).toBeGreaterThan(0);
    expect(w.stats().accepting).toBe(false);
    expect(w.stats().dropped).toBe(results.filter((r) => !r).length);
    repo.state.down = false;
    await until(() => w.stats().accepting && w.stats().spooled === 0);
    expect(repo.events.length).toBe(results.filter(Boolean).length);
    await w.close();
  });

  it('bounds the queue in bytes too: big payloads go to the spool long before the count bound, and come back in order', async () => {
    const repo = fakeRepo();
    repo.state.down = true;
    const spool = await openSpool<PendingEvent>(spoolDir(), { prefix: 'audit', maxBytes: 64 * 1024 * 1024, segmentBytes: 1024 * 1024, onError: () => {} });
    // 200 KB of payload each (as UTF-16 in memory: ~400 KB), against a 1 MB bound and a count bound of 20.
    const w = createAuditWriter(repo, log, { ...opts, maxQueueBytes: 1024 * 1024 }, spool);
    const big = () => ({ ...ev(), payload: { messages: [{ role: 'user', content: 'x'.repeat(200_000) }] } });
    for (let i = 0; i < 6; i++) expect(w.write([big()])).toBe(true);
    const s = w.stats();
    expect(s.queued).toBeLessThanOrEqual(3);
    expect(s.queuedBytes).toBeLessThanOrEqual(1024 * 1024 + 500_000);
    expect(s.spooled).toBe(6 - s.queued);
    repo.state.down = false;
    await until(() => repo.events.length === 6);
    expect(seqs(repo.events)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(w.stats().queuedBytes).toBe(0);
    await w.close();
  });

  it('takes an event heavier than the byte bound into an empty queue', async () => {
    const repo = fakeRepo();
    const w = createAuditWriter(repo, log, { ...opts, maxQueueBytes: 1000 }, null);
    expect(w.write([{ ...ev(), payload: { content: 'y'.repeat(10_000) } }])).toBe(true);
    await until(() => repo.events.length === 1);
    await w.close();
  });

  it('flushes on close, and spills to the spool when the database is down, for the next start to replay', async () => {
    const repo = fakeRepo();
    const w1 = createAuditWriter(repo, log, { ...opts, flushIntervalMs: 60_000, maxBatch: 100 }, null);
    for (let i = 0; i < 7; i++) w1.write([ev()]);
    expect(repo.events.length).toBe(0);
    await w1.close();
    expect(seqs(repo.events)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const dir = spoolDir();
    repo.state.down = true;
    const w2 = createAuditWriter(repo, log, { ...opts, flushIntervalMs: 60_000, maxBatch: 100 }, await openSpool<PendingEvent>(dir, { prefix: 'audit', maxBytes: 1 << 20, segmentBytes: 1 << 16, onError: () => {} }));
    for (let i = 0; i < 4; i++) w2.write([ev()]);
    await w2.close();
    expect(repo.events.length).toBe(7);
    repo.state.down = false;
    const w3 = createAuditWriter(repo, log, opts, await openSpool<PendingEvent>(dir, { prefix: 'audit', maxBytes: 1 << 20, segmentBytes: 1 << 16, onError: () => {} }));
    expect(w3.stats()).toMatchObject({ mode: 'spool', spooled: 4 });
    w3.write([ev()]);
    await until(() => repo.events.length === 12);
    expect(seqs(repo.events)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    await w3.close();
  });

  it('skips events a cut-short replay already wrote', async () => {
    const repo = fakeRepo();
    const dir = spoolDir();
    const spool = await openSpool<PendingEvent>(dir, { prefix: 'audit', maxBytes: 1 << 20, segmentBytes: 1 << 16, onError: () => {} });
    const evs = [ev(), ev(), ev()];
    spool.append(evs);
    await spool.settle();
    // The first two made it to the database before the process died.
    const w0 = createAuditWriter(repo, log, opts, null);
    w0.write(evs.slice(0, 2));
    await w0.close();
    const w = createAuditWriter(repo, log, opts, await openSpool<PendingEvent>(dir, { prefix: 'audit', maxBytes: 1 << 20, segmentBytes: 1 << 16, onError: () => {} }));
    await until(() => w.stats().spooled === 0);
    expect(repo.events.map((e) => e.eventId)).toEqual(evs.map((e) => e.event.eventId));
    expect(sessionRef(repo.events[2]! as { keyId: string; sessionId: string })).toBe('k\ns1');
    await w.close();
  });

  it('sets aside an event the database refuses: a dead letter, a gap in the chain, and every other event written in order', async () => {
    const repo = fakeRepo();
    const w = createAuditWriter(repo, log, { ...opts, maxBatch: 8 }, null);
    const evs = Array.from({ length: 12 }, () => ev());
    evs[4]!.payload = { text: 'POISON' };
    w.write(evs);
    await until(() => repo.events.length === 12);
    expect(repo.events.map((e) => e.eventId)).toEqual(evs.map((e) => e.event.eventId));
    expect(seqs(repo.events)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    expect(repo.events[4]).toMatchObject({ kind: 'gap', payload: null });
    expect(repo.events[4]!.reason).toMatch(/model_call event could not be stored \(22P02: invalid input syntax for type json\); kept as dead letter 1/);
    expect(repo.dead).toHaveLength(1);
    expect(JSON.stringify(repo.dead[0]!.item)).toContain('POISON');
    expect(w.stats()).toMatchObject({ written: 12, deadLettered: 1, failures: 0, accepting: true });
    // The chain still verifies end to end: the gap is a link, not a break.
    const v = createChainVerifier({ seq: 1, hash: '' });
    for (const e of repo.events) v.push(e as Parameters<typeof v.push>[0], e.payload);
    expect(v.end({ lastSeq: 12, lastHash: repo.events[11]!.hash })).toMatchObject({ ok: true, checked: 12 });
    // Later events still flow.
    w.write([ev()]);
    await until(() => repo.events.length === 13);
    await w.close();
  });

  it('stores payloads well-formed, NUL-free, depth-capped and cut to size, hashing what it stores', async () => {
    const repo = fakeRepo();
    const w = createAuditWriter(repo, log, { ...opts, maxPayloadBytes: 4096, inlinePayloadBytes: 1 << 20 }, null);
    let deep: unknown = 'bottom';
    for (let i = 0; i < 5000; i++) deep = { a: deep };
    const e = ev();
    e.payload = { text: 'x\ud800\u0000y', deep, big: 'b'.repeat(100_000), ['k\u0000']: 1 };
    w.write([e]);
    await until(() => repo.events.length === 1);
    const stored = repo.events[0]!.payload as Record<string, unknown>;
    expect(stored.text).toBe('x\uFFFDy');
    expect(stored.truncated).toBe(true);
    expect(JSON.stringify(stored)).toContain('[cut: nested deeper than 64]');
    expect(JSON.stringify(stored).length).toBeLessThan(8000);
    expect(JSON.stringify(stored)).not.toMatch(/\\u0000|\\ud800/);
    const v = createChainVerifier({ seq: 1, hash: '' });
    v.push(repo.events[0] as Parameters<typeof v.push>[0], stored);
    expect(v.end({ lastSeq: 1, lastHash: repo.events[0]!.hash }).ok).toBe(true);
    await w.close();
  });

  it('turns accepting off once writes have failed for stuckAfterMs, and on again when they succeed', async () => {
    const repo = fakeRepo();
    repo.state.down = true;
    const w = createAuditWriter(repo, log, { ...opts, stuckAfterMs: 30 }, null);
    w.write([ev()]);
    await until(() => w.stats().failures > 0);
    expect(w.stats().accepting).toBe(true);
    await until(() => !w.stats().accepting);
    repo.state.down = false;
    await until(() => w.stats().accepting && repo.events.length === 1);
    await w.close();
  });
});
