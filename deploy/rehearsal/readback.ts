// What the run reads back through the admin API: the session's audit timeline and its verification, and each replica's view of the budgets.
import type { BurstKey } from './config.js';

export interface TrailEvent {
  seq: number;
  /** When the call started, by the serving replica's clock. */
  time: string;
  kind: string;
  /** The agent step label the event's payload carries (agent-N, walk-R-K), or null. */
  label: string | null;
  status: number | null;
  decision: string | null;
}

export interface Trail {
  status: number;
  events: TrailEvent[];
  /** GET /admin/audit/verify?session=… */
  verify: { ok: boolean; checked: number; broken: unknown; gaps: unknown[] } | null;
  /** GET /admin/audit/verify (every session) */
  verifyAll: { ok: boolean; sessions: number; broken: unknown[]; gaps: unknown[]; warnings: string[] } | null;
}

export interface Spend {
  key: string;
  replica: string;
  limitUsd: number;
  spentUsd: number | null;
  reservedUsd: number | null;
}

const LABEL = /"((?:agent|walk)-[\d-]+)"/;

function labelOf(payload: unknown): string | null {
  return LABEL.exec(JSON.stringify(payload ?? null))?.[1] ?? null;
}

async function getJson<T>(url: string, adminKey: string): Promise<{ status: number; body: T | null }> {
  const res = await fetch(url, { headers: { authorization: `Bearer ${adminKey}` }, signal: AbortSignal.timeout(10_000) });
  const text = await res.text();
  let body: T | null = null;
  try {
    body = JSON.parse(text) as T;
  } catch {
    body = null;
  }
  return { status: res.status, body };
}

/**
 * The session's timeline through the balancer (any replica answers from the shared database), waiting until the
 * batched audit writers of every replica have flushed `expected` model and tool calls, or 20 s have passed.
 */
export async function readTrail(o: { url: string; adminKey: string; sessionId: string; expected: number }): Promise<Trail> {
  const url = `${o.url}/admin/sessions/${encodeURIComponent(o.sessionId)}`;
  let status = 0;
  let events: TrailEvent[] = [];
  for (const end = Date.now() + 20_000; ; await new Promise((r) => setTimeout(r, 200))) {
    const r = await getJson<{ events: Array<Record<string, unknown>> }>(url, o.adminKey);
    status = r.status;
    events = (r.body?.events ?? []).map((e) => ({
      seq: Number(e.seq),
      time: String(e.time),
      kind: String(e.kind),
      label: labelOf(e.payload),
      status: typeof e.status === 'number' ? e.status : null,
      decision: typeof e.decision === 'string' ? e.decision : null,
    }));
    const calls = events.filter((e) => e.kind === 'model_call' || e.kind === 'tool_call').length;
    if (calls >= o.expected || Date.now() > end) break;
  }
  const verify = (await getJson<Trail['verify']>(`${o.url}/admin/audit/verify?session=${encodeURIComponent(o.sessionId)}`, o.adminKey)).body;
  const verifyAll = (await getJson<Trail['verifyAll']>(`${o.url}/admin/audit/verify`, o.adminKey)).body;
  return { status, events, verify, verifyAll };
}

/** Each burst key's budget as every replica reports it (directly, not through the balancer): they must agree. */
export async function readSpends(o: { replicas: Array<{ name: string; url: string }>; adminKey: string; keys: BurstKey[] }): Promise<Spend[]> {
  const out: Spend[] = [];
  for (const r of o.replicas) {
    const { body } = await getJson<{ data: Array<{ id: string; limitUsd: number; spentUsd: number | null; reservedUsd: number | null }> }>(`${r.url}/admin/budgets?scope=key`, o.adminKey);
    for (const k of o.keys) {
      const b = body?.data.find((x) => x.id === k.id);
      out.push({ key: k.id, replica: r.name, limitUsd: b?.limitUsd ?? k.limitUsd, spentUsd: b?.spentUsd ?? null, reservedUsd: b?.reservedUsd ?? null });
    }
  }
  return out;
}
