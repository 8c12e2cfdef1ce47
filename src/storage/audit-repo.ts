// Queries over agent sessions and the audit trail: the append transaction, reviewer reads, retention.
import { and, asc, desc, eq, gt, gte, ilike, like, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import type { Db } from './db.js';
import { insertJsonRows } from './json-insert.js';
import {
  agentSessions, auditEvents, auditPayloads, type AgentSessionRow, type AuditEventRow, type NewAuditEvent,
} from './schema.js';

export interface SessionKey {
  keyId: string;
  sessionId: string;
}

export interface ChainTip {
  lastSeq: number;
  lastHash: string;
}

/** What a new session row starts with; an existing row keeps its own values (client info is filled when missing). */
export interface SessionSeed extends SessionKey {
  teamId: string | null;
  clientName: string | null;
  clientVersion: string | null;
  userAgent: string | null;
  time: Date;
}

export interface SessionUpdate extends SessionSeed, ChainTip {
  calls: number;
  inputTokens: number;
  outputTokens: number;
  costMicros: number;
  denials: number;
  redactions: number;
}

export interface BuiltBatch {
  events: NewAuditEvent[];
  payloads: Array<{ id: string; payload: unknown }>;
  sessions: SessionUpdate[];
}

export interface AuditAppend {
  seeds: SessionSeed[];
  /** Spool replays: the ids to check, so events already written are skipped. */
  dedupeIds?: string[];
  /** Runs inside the transaction with the locked sessions' tips, keyed by `sessionRef`. */
  build(tips: Map<string, ChainTip>, existing: Set<string>): BuiltBatch;
}

export interface SessionFilter {
  keyId?: string;
  teamId?: string;
  from?: Date;
  to?: Date;
  hasDenials?: boolean;
  hasRedactions?: boolean;
  /** A substring of the client name or the user agent, any case. */
  client?: string;
  minCostMicros?: number;
  sessionPrefix?: string;
  limit: number;
  offset: number;
}

export type EventWithPayload = AuditEventRow & { sidePayload: unknown; sideMissing: boolean };

export interface AuditRepo {
  appendAudit(batch: AuditAppend): Promise<void>;
  listSessions(filter: SessionFilter): Promise<AgentSessionRow[]>;
  findSessions(sessionId: string, keyId?: string): Promise<AgentSessionRow[]>;
  readAuditEvents(key: SessionKey, afterSeq: number, limit: number): Promise<EventWithPayload[]>;
  pruneAudit(cutoff: Date, batch: number): Promise<{ sessions: number; cut: number }>;
}

export const sessionRef = (k: SessionKey): string => `${k.keyId}\n${k.sessionId}`;

/** A user's text matched literally inside LIKE: backslash (the default escape), % and _ lose their meaning. */
const likeEscape = (s: string): string => s.replace(/[\\%_]/g, (c) => `\\${c}`);

const pairs = (keys: SessionKey[]) => JSON.stringify(keys.map((k) => ({ k: k.keyId, s: k.sessionId })));
const byRef = (a: SessionKey, b: SessionKey) => (sessionRef(a) < sessionRef(b) ? -1 : 1);
export function auditRepo(db: Db): AuditRepo {
  return {
    async appendAudit(batch) {
      const seeds = [...batch.seeds].sort(byRef);
      await db.transaction(async (tx) => {
        const t = tx as unknown as Db;
        await insertJsonRows(t, agentSessions, seeds.map((s) => ({ ...s, firstSeen: s.time, lastSeen: s.time, time: undefined })), sql`on conflict do nothing`);
        // Row locks on the sessions serialise replicas appending to the same session; sorted, so they cannot deadlock.
        type Tip = { key_id: string; session_id: string; last_seq: number; last_hash: string };
        const locked = await t.execute(sql`
          select s.key_id, s.session_id, s.last_seq, s.last_hash from ${agentSessions} s
          join json_to_recordset(${pairs(seeds)}::json) as r(k text, s text) on s.key_id = r.k and s.session_id = r.s
          order by s.session_id, s.key_id for update of s`);
        const tips = new Map<string, ChainTip>();
        for (const r of rowsOf<Tip>(locked)) tips.set(sessionRef({ keyId: r.key_id, sessionId: r.session_id }), { lastSeq: Number(r.last_seq), lastHash: r.last_hash });
        const existing = new Set<string>();
        if (batch.dedupeIds?.length) {
          const found = await t.execute(
            sql`select event_id from ${auditEvents} where event_id in (select json_array_elements_text(${JSON.stringify(batch.dedupeIds)}::json))`,
          );
          for (const r of rowsOf<{ event_id: string }>(found)) existing.add(r.event_id);
        }
        const built = batch.build(tips, existing);
        await insertJsonRows(t, auditPayloads, built.payloads);
        await insertJsonRows(t, auditEvents, built.events);
        if (built.sessions.length) await updateSessions(t, built.sessions);
      });
    },

    listSessions(f) {
      const where: SQL[] = [];
      if (f.keyId !== undefined) where.push(eq(agentSessions.keyId, f.keyId));
      if (f.teamId !== undefined) where.push(eq(agentSessions.teamId, f.teamId));
      if (f.from) where.push(gte(agentSessions.lastSeen, f.from));
      if (f.to) where.push(lte(agentSessions.firstSeen, f.to));
      if (f.hasDenials !== undefined) where.push(f.hasDenials ? gt(agentSessions.denials, 0) : eq(agentSessions.denials, 0));
      if (f.hasRedactions !== undefined) where.push(f.hasRedactions ? gt(agentSessions.redactions, 0) : eq(agentSessions.redactions, 0));
      if (f.client !== undefined) {
        const pattern = `%${likeEscape(f.client)}%`;
        where.push(or(ilike(agentSessions.clientName, pattern), ilike(agentSessions.userAgent, pattern))!);
      }
      if (f.minCostMicros !== undefined) where.push(gte(agentSessions.costMicros, f.minCostMicros));
      if (f.sessionPrefix !== undefined) where.push(like(agentSessions.sessionId, `${likeEscape(f.sessionPrefix)}%`));
      return db
        .select()
        .from(agentSessions)
        .where(and(...where))
        .orderBy(desc(agentSessions.lastSeen), desc(agentSessions.id))
        .limit(f.limit)
        .offset(f.offset);
    },

    findSessions(sessionId, keyId) {
      return db
        .select()
        .from(agentSessions)
        .where(and(eq(agentSessions.sessionId, sessionId), keyId === undefined ? undefined : eq(agentSessions.keyId, keyId)))
        .orderBy(asc(agentSessions.keyId));
    },

    async readAuditEvents(key, afterSeq, limit) {
      const rows = await db
        .select({ e: auditEvents, side: auditPayloads.payload, sideId: auditPayloads.id })
        .from(auditEvents)
        .leftJoin(auditPayloads, eq(auditPayloads.id, auditEvents.payloadId))
        .where(and(eq(auditEvents.sessionId, key.sessionId), eq(auditEvents.keyId, key.keyId), gt(auditEvents.seq, afterSeq)))
        .orderBy(asc(auditEvents.seq))
        .limit(limit);
      return rows.map((r) => ({ ...r.e, sidePayload: r.side, sideMissing: r.e.payloadId !== null && r.sideId === null }));
    },

    async pruneAudit(cutoff, batch) {
      let sessions = 0;
      let cut = 0;
      // Whole sessions idle since before the cutoff: small batches, each its own transaction, so no long locks.
      for (;;) {
        const n = await db.transaction(async (tx) => {
          const t = tx as unknown as Db;
          const doomed = rowsOf<{ key_id: string; session_id: string }>(
            await t.execute(sql`
              select key_id, session_id from ${agentSessions} where last_seen < ${cutoff.toISOString()}::timestamptz
              order by last_seen limit ${batch} for update skip locked`),
          ).map((r) => ({ keyId: r.key_id, sessionId: r.session_id }));
          if (doomed.length) await deleteEvents(t, doomed, null, true);
          return doomed.length;
        });
        sessions += n;
        if (n < batch) break;
      }
      // Sessions still active but older than the cutoff lose their oldest events; the anchor keeps them verifiable.
      const long = rowsOf<{ key_id: string; session_id: string }>(
        await db.execute(sql`
          select key_id, session_id from ${agentSessions} where first_seen < ${cutoff.toISOString()}::timestamptz limit ${batch}`),
      );
      for (const r of long) {
        await db.transaction(async (tx) => {
          const t = tx as unknown as Db;
          const key = { keyId: r.key_id, sessionId: r.session_id };
          await t.execute(sql`select 1 from ${agentSessions} where key_id = ${key.keyId} and session_id = ${key.sessionId} for update`);
          const [last] = await t
            .select({ seq: auditEvents.seq, hash: auditEvents.hash })
            .from(auditEvents)
            .where(and(eq(auditEvents.sessionId, key.sessionId), eq(auditEvents.keyId, key.keyId), lt(auditEvents.time, cutoff)))
            .orderBy(desc(auditEvents.seq))
            .limit(1);
          if (!last) return;
          await deleteEvents(t, [key], last.seq, false);
          await t.execute(sql`
            update ${agentSessions} set anchor_seq = ${last.seq + 1}, anchor_hash = ${last.hash},
              first_seen = coalesce((select min(time) from ${auditEvents} where key_id = ${key.keyId} and session_id = ${key.sessionId}), last_seen)
            where key_id = ${key.keyId} and session_id = ${key.sessionId}`);
          cut++;
        });
      }
      return { sessions, cut };
    },
  };
}

async function deleteEvents(t: Db, keys: SessionKey[], uptoSeq: number | null, withSessions: boolean): Promise<void> {
  const list = sql`json_to_recordset(${pairs(keys)}::json) as r(k text, s text)`;
  const seqCond = uptoSeq === null ? sql`` : sql` and e.seq <= ${uptoSeq}`;
  await t.execute(sql`delete from ${auditPayloads} p using ${auditEvents} e, ${list}
    where p.id = e.payload_id and e.key_id = r.k and e.session_id = r.s${seqCond}`);
  await t.execute(sql`delete from ${auditEvents} e using ${list} where e.key_id = r.k and e.session_id = r.s${seqCond}`);
  if (withSessions) await t.execute(sql`delete from ${agentSessions} s using ${list} where s.key_id = r.k and s.session_id = r.s`);
}

async function updateSessions(t: Db, rows: SessionUpdate[]): Promise<void> {
  const json = JSON.stringify(rows);
  await t.execute(sql`
    update ${agentSessions} s set
      calls = s.calls + r."calls", input_tokens = s.input_tokens + r."inputTokens", output_tokens = s.output_tokens + r."outputTokens",
      cost_micros = s.cost_micros + r."costMicros", denials = s.denials + r."denials", redactions = s.redactions + r."redactions",
      last_seq = r."lastSeq", last_hash = r."lastHash", last_seen = greatest(s.last_seen, r."time"),
      team_id = coalesce(s.team_id, r."teamId"), client_name = coalesce(s.client_name, r."clientName"),
      client_version = coalesce(s.client_version, r."clientVersion"), user_agent = coalesce(s.user_agent, r."userAgent")
    from json_to_recordset(${json}::json) as r("keyId" text, "sessionId" text, "calls" int, "inputTokens" bigint, "outputTokens" bigint,
      "costMicros" bigint, "denials" int, "redactions" int, "lastSeq" int, "lastHash" text, "time" timestamptz, "teamId" text,
      "clientName" text, "clientVersion" text, "userAgent" text)
    where s.key_id = r."keyId" and s.session_id = r."sessionId"`);
}

/** postgres.js returns an array, PGlite an object with `rows`. */
export function rowsOf<T>(res: unknown): T[] {
  return (Array.isArray(res) ? res : ((res as { rows?: T[] }).rows ?? [])) as T[];
}
