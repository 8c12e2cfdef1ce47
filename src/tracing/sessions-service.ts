// Reading the audit trail: session lists, one session's timeline, JSON Lines export, chain verification (admin API and CLI).
import { getTableColumns } from 'drizzle-orm';
import { z } from 'zod';
import { GatewayError } from '../errors.js';
import type { AuditRepo, EventWithPayload, SessionKey } from '../storage/audit-repo.js';
import { auditEvents, type AgentSessionRow } from '../storage/schema.js';
import { createChainVerifier, type BrokenLink } from './audit-chain.js';
import type { CheckpointReport } from './checkpoint-verify.js';

/** A bound on the cost filter: far above any real session, and its micro-dollars stay exact in a double and a bigint. */
export const MAX_COST_USD = 1_000_000_000;

export const SessionQuerySchema = z
  .object({
    key: z.string().optional(),
    team: z.string().optional(),
    from: z.coerce.date().optional(),
    to: z.coerce.date().optional(),
    hasDenials: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
    hasRedactions: z.enum(['true', 'false']).transform((v) => v === 'true').optional(),
    /** Case-insensitive, anywhere in the client's name or its user agent. */
    client: z.string().min(1).max(256).optional(),
    /** At least this much spent in the session, in USD (compared in micro-dollars, as stored). */
    minCostUsd: z.coerce.number().min(0).max(MAX_COST_USD).optional(),
    /** Sessions whose id starts with this (ids are at most 128 characters). */
    sessionPrefix: z.string().min(1).max(128).optional(),
    limit: z.coerce.number().int().min(1).max(500).default(50),
    offset: z.coerce.number().int().min(0).default(0),
  })
  .strict();

export interface SessionView {
  id: string;
  key: string | null;
  team: string | null;
  client: { name: string | null; version: string | null; userAgent: string | null };
  firstSeen: string;
  lastSeen: string;
  events: number;
  totals: { calls: number; inputTokens: number; outputTokens: number; costMicros: number; denials: number; redactions: number };
}

/** An event as exported: the database column names (OTel semconv where one exists), the payload inline. */
export type EventView = Record<string, unknown>;

export interface VerifyResult {
  session: string;
  key: string | null;
  ok: boolean;
  checked: number;
  broken: BrokenLink | null;
  /** Events the database refused, each kept as a dead letter: links in the chain that say where the event went. */
  gaps: Array<{ seq: number; eventId: string; reason: string | null }>;
}

export type GapView = VerifyResult['gaps'][number] & { session: string; key: string | null };

export interface VerifyAllResult {
  ok: boolean;
  sessions: number;
  broken: VerifyResult[];
  gaps: GapView[];
  /** No sessions and no checkpoint: nothing was checked, which is not the same as everything being fine. */
  empty: boolean;
  /** The sessions compared with the newest signed checkpoint; null when this service has no checkpoints. */
  checkpoint: CheckpointReport | null;
  warnings: string[];
}

/** What a timeline read leaves out: `payloads: false` puts `payload_parts` (the payload's part names) where each payload was. */
export interface TimelineOptions {
  verify?: boolean;
  payloads?: boolean;
}

/** A timeline; `verify` (asked for with `{ verify: true }`) is the chain verification over the very rows listed. */
export interface Timeline {
  session: SessionView;
  events: EventView[];
  verify?: VerifyResult;
}

export interface SessionsService {
  list(f: z.output<typeof SessionQuerySchema>): Promise<{ data: SessionView[]; nextOffset: number | null }>;
  get(id: string, key?: string): Promise<SessionView>;
  timeline(id: string, key?: string, opts?: TimelineOptions): Promise<Timeline>;
  /** One event by its seq, payload included (what a timeline read without payloads links to). */
  event(id: string, seq: number, key?: string): Promise<EventView>;
  exportLines(id: string, key?: string): AsyncGenerator<string>;
  verify(id: string, key?: string): Promise<VerifyResult>;
  /** Every session (or those of one key); stops collecting after `maxBroken` broken ones. */
  verifyAll(key?: string, maxBroken?: number): Promise<VerifyAllResult>;
}

const PAGE = 500;
const columnName = Object.fromEntries(Object.entries(getTableColumns(auditEvents)).map(([k, c]) => [k, c.name]));

export function sessionView(s: AgentSessionRow): SessionView {
  return {
    id: s.sessionId,
    key: s.keyId || null,
    team: s.teamId,
    client: { name: s.clientName, version: s.clientVersion, userAgent: s.userAgent },
    firstSeen: s.firstSeen.toISOString(),
    lastSeen: s.lastSeen.toISOString(),
    events: s.lastSeq - s.anchorSeq + 1,
    totals: { calls: s.calls, inputTokens: s.inputTokens, outputTokens: s.outputTokens, costMicros: s.costMicros, denials: s.denials, redactions: s.redactions },
  };
}

/** The names a payload's parts go by (request, response, original), without touching their content. */
function payloadParts(payload: unknown): string[] {
  return typeof payload === 'object' && payload !== null && !Array.isArray(payload) ? Object.keys(payload) : ['payload'];
}

export function eventView(e: EventWithPayload, withPayload = true): EventView {
  const out: EventView = {};
  // for-in, not Object.entries: a 1,000-event timeline would allocate some 40,000 [key, value] pairs (rows are plain objects).
  for (const k in e) {
    if (k === 'sidePayload' || k === 'sideMissing' || (k === 'payload' && !withPayload)) continue;
    const v = e[k as keyof EventWithPayload];
    out[columnName[k] ?? k] = v instanceof Date ? v.toISOString() : v;
  }
  const payload = e.payloadId ? (e.sidePayload ?? null) : e.payload;
  if (withPayload) {
    if (e.payloadId) out.payload = payload;
  } else if (payload !== null && payload !== undefined) {
    out.payload_parts = payloadParts(payload);
  }
  return out;
}

/** Pass `checkpoints` (deps.checkpoints) so verifyAll also catches what a chain alone cannot: truncation, deleted sessions, recomputed chains. */
export function createSessionsService(repo: AuditRepo, checkpoints?: { check(keyId?: string): Promise<CheckpointReport> }): SessionsService {
  async function one(id: string, key?: string): Promise<AgentSessionRow> {
    const found = await repo.findSessions(id, key === undefined ? undefined : key === '-' ? '' : key);
    if (!found.length) throw new GatewayError('not_found', `No session "${id}"${key ? ` for key "${key}"` : ''}.`);
    if (found.length > 1) {
      throw new GatewayError('invalid_request', `Session id "${id}" is used by several keys (${found.map((s) => s.keyId || '-').join(', ')}); pass key.`, { param: 'key' });
    }
    return found[0]!;
  }

  async function* pages(k: SessionKey): AsyncGenerator<EventWithPayload> {
    for (let after = 0; ; ) {
      const rows = await repo.readAuditEvents(k, after, PAGE);
      yield* rows;
      if (rows.length < PAGE) return;
      after = rows.at(-1)!.seq;
    }
  }

  /** The one chain check, fed rows in seq order (stop at the first false); both the verify route and the timeline use it. */
  function chainCheck(s: AgentSessionRow) {
    const v = createChainVerifier({ seq: s.anchorSeq, hash: s.anchorHash });
    const gaps: VerifyResult['gaps'] = [];
    return {
      push(e: EventWithPayload): boolean {
        if (e.kind === 'gap') gaps.push({ seq: e.seq, eventId: e.eventId, reason: e.reason });
        return v.push(e, e.payloadId ? e.sidePayload : e.payload, e.sideMissing);
      },
      end: (): VerifyResult => ({ session: s.sessionId, key: s.keyId || null, ...v.end(s), gaps }),
    };
  }

  async function verifyRow(s: AgentSessionRow): Promise<VerifyResult> {
    const check = chainCheck(s);
    for await (const e of pages(s)) if (!check.push(e)) break;
    return check.end();
  }

  return {
    async list(f) {
      const rows = await repo.listSessions({
        keyId: f.key,
        teamId: f.team,
        from: f.from,
        to: f.to,
        hasDenials: f.hasDenials,
        hasRedactions: f.hasRedactions,
        client: f.client,
        minCostMicros: f.minCostUsd === undefined ? undefined : Math.round(f.minCostUsd * 1e6),
        sessionPrefix: f.sessionPrefix,
        limit: f.limit + 1,
        offset: f.offset,
      });
      return { data: rows.slice(0, f.limit).map(sessionView), nextOffset: rows.length > f.limit ? f.offset + f.limit : null };
    },
    get: async (id, key) => sessionView(await one(id, key)),
    async timeline(id, key, opts) {
      const s = await one(id, key);
      const rows: EventWithPayload[] = [];
      // Pages come in seq order, the chain's: the check sees exactly the rows listed, read once.
      let check = opts?.verify ? chainCheck(s) : null;
      let verify: VerifyResult | undefined;
      for await (const e of pages(s)) {
        rows.push(e);
        if (check && !check.push(e)) {
          verify = check.end();
          check = null;
        }
      }
      verify ??= check?.end();
      // Call order: replicas number a session's events (seq, the chain's order) as their writers flush, so calls served
      // by two replicas within one flush interval can be chained out of call order. Each call's rows share its start time.
      rows.sort((a, b) => a.time.getTime() - b.time.getTime() || a.seq - b.seq);
      const withPayloads = opts?.payloads ?? true;
      const events = rows.map((e) => eventView(e, withPayloads));
      return verify ? { session: sessionView(s), events, verify } : { session: sessionView(s), events };
    },
    async event(id, seq, key) {
      const s = await one(id, key);
      const [e] = await repo.readAuditEvents(s, seq - 1, 1);
      if (!e || e.seq !== seq) throw new GatewayError('not_found', `Session "${id}" has no event #${seq}${seq < s.anchorSeq ? ' (retention cut the events before its anchor)' : ''}.`);
      return eventView(e);
    },
    async *exportLines(id, key) {
      const s = await one(id, key);
      yield `${JSON.stringify({ type: 'session', ...sessionView(s), anchor: { seq: s.anchorSeq, hash: s.anchorHash } })}\n`;
      for await (const e of pages(s)) yield `${JSON.stringify({ type: 'event', ...eventView(e) })}\n`;
    },
    verify: async (id, key) => verifyRow(await one(id, key)),
    async verifyAll(key, maxBroken = 20) {
      const broken: VerifyResult[] = [];
      const gaps: GapView[] = [];
      let sessions = 0;
      for (let offset = 0; ; offset += PAGE) {
        const rows = await repo.listSessions({ keyId: key, limit: PAGE, offset });
        for (const s of rows) {
          sessions++;
          const r = await verifyRow(s);
          if (!r.ok && broken.length < maxBroken) broken.push(r);
          for (const g of r.gaps) if (gaps.length < 100) gaps.push({ session: r.session, key: r.key, ...g });
        }
        if (rows.length < PAGE) break;
      }
      const checkpoint = checkpoints ? await checkpoints.check(key === '-' ? '' : key) : null;
      const warnings = [...(checkpoint?.warnings ?? [])];
      if (!checkpoint) warnings.push('checkpoints were not checked: truncation, deleted sessions and recomputed chains go unseen');
      else if (checkpoint.status === 'none' && sessions > 0) warnings.push('no checkpoint yet: truncation, deleted sessions and recomputed chains cannot be seen');
      // Zero sessions is only "ok" when nothing says there were any: a checkpoint that had sessions makes it a loss.
      const empty = sessions === 0 && (checkpoint === null || checkpoint.checkpointSessions === 0) && checkpoint?.status !== 'broken';
      if (empty) warnings.push(`the store is empty (0 sessions${checkpoint?.checkpoint ? '' : ', no checkpoint'}): nothing was verified`);
      return { ok: broken.length === 0 && checkpoint?.status !== 'broken', sessions, broken, gaps, empty, checkpoint, warnings };
    },
  };
}
