// Queries for the signed audit checkpoints: every session's chain state, the checkpoint rows, and event hashes at checkpointed seqs.
import { asc, desc, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { rowsOf, type SessionKey } from './audit-repo.js';
import { agentSessions, auditCheckpoints, auditEvents, type AuditCheckpointRow } from './schema.js';

/** One session's chain state, as a checkpoint records it. */
export interface SessionTip extends SessionKey {
  lastSeq: number;
  lastHash: string;
  anchorSeq: number;
  anchorHash: string;
  firstSeen: Date;
  lastSeen: Date;
}

export type NewCheckpoint = Omit<AuditCheckpointRow, 'id'>;
export type CheckpointHeader = Omit<AuditCheckpointRow, 'leaves'>;

export interface CheckpointWrite {
  /** Skip when the newest checkpoint is younger than this: another replica just wrote one. */
  minAgeMs: number;
  /** Checkpoints older than the newest `keepLeaves` lose their leaf lists (verification only reads the newest). */
  keepLeaves: number;
  build(prev: CheckpointHeader | null, tips: SessionTip[]): NewCheckpoint;
}

export interface CheckpointRepo {
  /** Under a transaction-scoped advisory lock, so two replicas never write the same checkpoint; null when skipped. */
  writeCheckpoint(w: CheckpointWrite): Promise<AuditCheckpointRow | null>;
  latestCheckpoint(): Promise<AuditCheckpointRow | null>;
  /** Newest first, without leaves. */
  checkpointHeaders(limit: number): Promise<CheckpointHeader[]>;
  checkpointsByHash(hashes: string[]): Promise<CheckpointHeader[]>;
  sessionTips(keyId?: string): Promise<SessionTip[]>;
  /** The stored hash of each (key, session, seq) asked for, keyed `key\nsession\nseq`. */
  eventHashesAt(refs: Array<SessionKey & { seq: number }>): Promise<Map<string, string>>;
}

/** Any constant works; it only has to be the same for every replica. */
const CHECKPOINT_LOCK = 7_246_312;
const { leaves: _leaves, ...headerColumns } = getTableColumns(auditCheckpoints);

function tipsQuery(db: Db, keyId?: string) {
  return db
    .select({
      keyId: agentSessions.keyId, sessionId: agentSessions.sessionId, lastSeq: agentSessions.lastSeq, lastHash: agentSessions.lastHash,
      anchorSeq: agentSessions.anchorSeq, anchorHash: agentSessions.anchorHash, firstSeen: agentSessions.firstSeen, lastSeen: agentSessions.lastSeen,
    })
    .from(agentSessions)
    .where(keyId === undefined ? undefined : eq(agentSessions.keyId, keyId))
    .orderBy(asc(agentSessions.keyId), asc(agentSessions.sessionId));
}

export function checkpointRepo(db: Db): CheckpointRepo {
  return {
    writeCheckpoint(w) {
      return db.transaction(async (tx) => {
        const t = tx as unknown as Db;
        const [lock] = rowsOf<{ ok: boolean }>(await t.execute(sql`select pg_try_advisory_xact_lock(${CHECKPOINT_LOCK}) as ok`));
        if (!lock?.ok) return null;
        const [prev] = await t.select(headerColumns).from(auditCheckpoints).orderBy(desc(auditCheckpoints.id)).limit(1);
        if (prev && Date.now() - prev.time.getTime() < w.minAgeMs) return null;
        const tips = await tipsQuery(t);
        const [row] = await t.insert(auditCheckpoints).values(w.build(prev ?? null, tips)).returning();
        await t.execute(sql`update ${auditCheckpoints} set leaves = null
          where leaves is not null and id <= (select id from ${auditCheckpoints} order by id desc offset ${w.keepLeaves} limit 1)`);
        return row ?? null;
      });
    },

    async latestCheckpoint() {
      const [row] = await db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.id)).limit(1);
      return row ?? null;
    },

    checkpointHeaders(limit) {
      return db.select(headerColumns).from(auditCheckpoints).orderBy(desc(auditCheckpoints.id)).limit(limit);
    },

    async checkpointsByHash(hashes) {
      return hashes.length ? db.select(headerColumns).from(auditCheckpoints).where(inArray(auditCheckpoints.hash, hashes)) : [];
    },

    sessionTips: (keyId) => tipsQuery(db, keyId),

    async eventHashesAt(refs) {
      const out = new Map<string, string>();
      for (let i = 0; i < refs.length; i += 500) {
        const part = JSON.stringify(refs.slice(i, i + 500).map((r) => ({ k: r.keyId, s: r.sessionId, q: r.seq })));
        const found = await db.execute(sql`
          select e.key_id, e.session_id, e.seq, e.hash from ${auditEvents} e
          join json_to_recordset(${part}::json) as r(k text, s text, q int) on e.key_id = r.k and e.session_id = r.s and e.seq = r.q`);
        for (const r of rowsOf<{ key_id: string; session_id: string; seq: number; hash: string }>(found)) out.set(`${r.key_id}\n${r.session_id}\n${Number(r.seq)}`, r.hash);
      }
      return out;
    },
  };
}
