// The audit writer against an in-memory repo: batching, outage retry, spool and ordered replay, shutdown flush.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/log.js';
import { sessionRef, type AuditAppend, type ChainTip } from '../../src/storage/audit-repo.js';
import type { NewAuditEvent } from '../../src/storage/schema.js';
import { openAuditSpool } from '../../src/tracing/audit-spool.js';
import { createAuditWriter, type PendingEvent } from '../../src/tracing/audit-writer.js';

const log = createLogger('silent');

function fakeRepo() {
  const tips = new Map<string, ChainTip>();
  const events: NewAuditEvent[] = [];
  const state = { down: false, appends: 0 };
  return {
    state,
    events,
    async appendAudit(b: AuditAppend) {
      await Promise.resolve();
      if (state.down) throw new Error('connection refused');
      state.appends++;
      const t = new Map(tips);
      const existing = new Set(events.filter((e) => b.dedupeIds?.includes(e.eventId)).map((e) => e.eventId));
      const built = b.build(t, existing);
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
const opts = { flushIntervalMs: 10, maxBatch: 5, maxQueue: 20, inlinePayloadBytes: 1024, backoffBaseMs: 5, backoffMaxMs: 20 };
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
    const spool = await openAuditSpool<PendingEvent>(spoolDir(), { maxBytes: 1 << 20, segmentBytes: 2048, onError: () => {} });
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
    const spool = await openAuditSpool<PendingEvent>(spoolDir(), { maxBytes: 2000, segmentBytes: 1000, onError: () => {} });
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

  it('flushes on close, and spills to the spool when the database is down, for the next start to replay', async () => {
    const repo = fakeRepo();
    const w1 = createAuditWriter(repo, log, { ...opts, flushIntervalMs: 60_000, maxBatch: 100 }, null);
    for (let i = 0; i < 7; i++) w1.write([ev()]);
    expect(repo.events.length).toBe(0);
    await w1.close();
    expect(seqs(repo.events)).toEqual([1, 2, 3, 4, 5, 6, 7]);

    const dir = spoolDir();
    repo.state.down = true;
    const w2 = createAuditWriter(repo, log, { ...opts, flushIntervalMs: 60_000, maxBatch: 100 }, await openAuditSpool<PendingEvent>(dir, { maxBytes: 1 << 20, segmentBytes: 1 << 16, onError: () => {} }));
    for (let i = 0; i < 4; i++) w2.write([ev()]);
    await w2.close();
    expect(repo.events.length).toBe(7);
    repo.state.down = false;
    const w3 = createAuditWriter(repo, log, opts, await openAuditSpool<PendingEvent>(dir, { maxBytes: 1 << 20, segmentBytes: 1 << 16, onError: () => {} }));
    expect(w3.stats()).toMatchObject({ mode: 'spool', spooled: 4 });
    w3.write([ev()]);
    await until(() => repo.events.length === 12);
    expect(seqs(repo.events)).toEqual(Array.from({ length: 12 }, (_, i) => i + 1));
    await w3.close();
  });

  it('skips events a cut-short replay already wrote', async () => {
    const repo = fakeRepo();
    const dir = spoolDir();
    const spool = await openAuditSpool<PendingEvent>(dir, { maxBytes: 1 << 20, segmentBytes: 1 << 16, onError: () => {} });
    const evs = [ev(), ev(), ev()];
    spool.append(evs);
    await spool.settle();
    // The first two made it to the database before the process died.
    const w0 = createAuditWriter(repo, log, opts, null);
    w0.write(evs.slice(0, 2));
    await w0.close();
    const w = createAuditWriter(repo, log, opts, await openAuditSpool<PendingEvent>(dir, { maxBytes: 1 << 20, segmentBytes: 1 << 16, onError: () => {} }));
    await until(() => w.stats().spooled === 0);
    expect(repo.events.map((e) => e.eventId)).toEqual(evs.map((e) => e.event.eventId));
    expect(sessionRef(repo.events[2]! as { keyId: string; sessionId: string })).toBe('k\ns1');
    await w.close();
  });
});
