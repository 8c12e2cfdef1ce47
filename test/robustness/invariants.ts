// Invariants after hostile traffic: no unexplained 5xx, bounded memory, and request-log + audit writers still progressing.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { eq } from 'drizzle-orm';
import { expect } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { requestLog } from '../../src/storage/schema.js';
import { ADMIN_KEY, chat, send, type Sent } from './harness.js';

/** Generous: catches a runaway (a body copied per nesting level, a leak per request), not normal GC noise. */
export const RSS_LIMIT_BYTES = 1.5 * 1024 ** 3;

/** Upstream failures are the only 5xx a client may see, and they say so in their error code. */
const UPSTREAM_CODE = /"code"\s*:\s*"upstream_[a-z_]+"|"upstream_(error|unavailable|timeout)"/;

/** Why a response breaks the contract, or null when it is fine. */
export function violation(r: Sent): string | null {
  if (r.failure) return r.failure;
  if (r.status >= 500) {
    if ([502, 503, 504].includes(r.status) && UPSTREAM_CODE.test(r.text)) return null;
    if (r.status === 503 && /shutting_down|-32000/.test(r.text) && /shutting down/i.test(r.text)) return null;
    return `status ${r.status}: ${r.text.slice(0, 200)}`;
  }
  // A stream that started 200 must not carry an internal error inside it either.
  if (r.status === 200 && /"code"\s*:\s*"internal_error"/.test(r.text)) return `in-band internal_error: ${r.text.slice(0, 200)}`;
  return null;
}

/** Requests, status histogram and contract breaks of one property. */
export class Tally {
  readonly statuses = new Map<string, number>();
  readonly bad: string[] = [];
  requests = 0;
  fivexx = 0;

  constructor(readonly name: string) {}

  record(r: Sent, label: string): void {
    this.requests++;
    const k = r.failure ? 'no-response' : String(r.status);
    this.statuses.set(k, (this.statuses.get(k) ?? 0) + 1);
    if (r.status >= 500) this.fivexx++;
    const v = violation(r);
    if (v) this.bad.push(`${label} → ${v}`);
  }

  summary(): string {
    const hist = [...this.statuses.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}:${n}`).join(' ');
    return `[robustness] ${this.name}: ${this.requests} requests fuzzed, statuses {${hist}}, 5xx=${this.fivexx}, contract breaks=${this.bad.length}`;
  }

  /** Prints the one-line summary, then fails with the first breaks. */
  check(): void {
    console.log(this.summary());
    expect(this.bad.slice(0, 5), `${this.bad.length} of ${this.requests} requests broke the contract`).toEqual([]);
  }
}

export function assertRssBounded(rss = process.memoryUsage().rss): void {
  expect(rss, `RSS ${Math.round(rss / 2 ** 20)} MB`).toBeLessThan(RSS_LIMIT_BYTES);
}

/** VmRSS of another process in bytes (Linux), or null where /proc is missing. */
export function childRss(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}

const admin = { authorization: `Bearer ${ADMIN_KEY}` };

export async function verifySession(base: string, sessionId: string): Promise<{ ok: boolean; checked: number }> {
  const r = await send(base, `/admin/audit/verify?session=${encodeURIComponent(sessionId)}`, { headers: admin });
  expect(r.status, `audit verify for ${sessionId}: ${r.text.slice(0, 200)}`).toBe(200);
  return JSON.parse(r.text) as { ok: boolean; checked: number };
}

async function flushBoth(gw: RunningGateway): Promise<void> {
  await gw.deps.requestLog.flush();
  await gw.deps.audit.flush();
}

/** Polls (flushing each round) until `fn` holds; a stuck writer shows as a timeout with `what`. */
async function eventually(gw: RunningGateway, what: string, fn: () => Promise<boolean>, limitMs = 10_000): Promise<void> {
  const end = Date.now() + limitMs;
  for (;;) {
    await flushBoth(gw);
    if (await fn()) return;
    if (Date.now() > end) throw new Error(`writers stuck: ${what} did not land within ${limitMs} ms (requestLog ${JSON.stringify(gw.deps.requestLog.stats())}, audit ${JSON.stringify(gw.deps.audit.stats())})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function requestLogged(gw: RunningGateway, requestId: string): Promise<boolean> {
  const rows = await gw.deps.database.db.select({ id: requestLog.id }).from(requestLog).where(eq(requestLog.requestId, requestId));
  return rows.length > 0;
}

export async function auditLogged(gw: RunningGateway, sessionId: string): Promise<boolean> {
  const r = await send(gw.url, `/admin/sessions/${encodeURIComponent(sessionId)}`, { headers: admin });
  return r.status === 200 && (JSON.parse(r.text) as { events: unknown[] }).events.length > 0;
}

/**
 * A normal chat call with a fresh session lands in the request log AND the audit trail, its chain verifies,
 * and neither writer holds a stuck queue or keeps failing after a final flush.
 */
export async function assertWritersProgress(gw: RunningGateway, alsoVerify: string[] = []): Promise<void> {
  const sessionId = `probe-${randomUUID()}`;
  const r = await chat(gw.url, { model: 'mock/echo', messages: [{ role: 'user', content: 'probe after hostile input' }] }, { 'x-session-id': sessionId });
  expect(r.status, `probe chat: ${r.text.slice(0, 200)}`).toBe(200);
  const requestId = r.headers['x-request-id']!;
  await eventually(gw, `request-log row ${requestId}`, () => requestLogged(gw, requestId));
  await eventually(gw, `audit events of session ${sessionId}`, () => auditLogged(gw, sessionId));
  for (const s of [sessionId, ...alsoVerify]) expect(await verifySession(gw.url, s), `audit verify ${s}`).toMatchObject({ ok: true });
  await flushBoth(gw);
  const before = { audit: gw.deps.audit.stats().failures, log: gw.deps.requestLog.stats().failures };
  await flushBoth(gw);
  const a = gw.deps.audit.stats();
  const l = gw.deps.requestLog.stats();
  expect(a.failures, `audit failures keep rising: ${a.lastError}`).toBe(before.audit);
  expect(l.failures, 'request-log failures keep rising').toBe(before.log);
  expect(a.accepting).toBe(true);
  expect(a.queued, 'audit queue not drained').toBe(0);
  expect(l.queued, 'request-log queue not drained').toBe(0);
}

/** The process still answers. */
export async function assertAlive(base: string): Promise<void> {
  const r = await send(base, '/healthz', { timeoutMs: 10_000 });
  expect(r.status, r.failure ?? r.text).toBe(200);
}
