// Queries for the signed audit checkpoints: delta leaves and their digest, checkpoint rows, sessions' tips, event hashes.
import { createHash } from 'node:crypto';
import { and, asc, desc, eq, getTableColumns, gt, inArray, sql } from 'drizzle-orm';
import type { Db } from './db.js';
import { rowsOf, type SessionKey } from './audit-repo.js';
import { agentSessions, auditCheckpointLeaves, auditCheckpoints, auditEvents, type AuditCheckpointRow } from './schema.js';

/** One session's chain state, as a checkpoint records it. */
export interface SessionTip extends SessionKey {
  lastSeq: number;
  lastHash: string;
  anchorSeq: number;
  anchorHash: string;
  firstSeen: Date;
  lastSeen: Date;
}

/** A session's newest leaf (its state at the last checkpoint that saw it change). */
export interface NewestLeaf extends SessionTip {
  checkpointId: number;
}

export type NewCheckpoint = Omit<AuditCheckpointRow, 'id' | 'leaves' | 'version' | 'watermark'>;
export type CheckpointHeader = Omit<AuditCheckpointRow, 'leaves'>;

/** What a delta's leaves digest to (see DELTA_DOMAIN). */
export interface DeltaDigest {
  sessions: number;
  root: string;
}

export interface CheckpointWrite {
  /** Skip when the newest checkpoint is younger than this: another replica just wrote one. */
  minAgeMs: number;
  build(prev: CheckpointHeader | null, delta: DeltaDigest): NewCheckpoint;
}

export interface CheckpointRepo {
  /** Under a transaction-scoped advisory lock, so two replicas never write the same checkpoint; null when skipped. */
  writeCheckpoint(w: CheckpointWrite): Promise<AuditCheckpointRow | null>;
  latestCheckpoint(): Promise<AuditCheckpointRow | null>;
  /** Oldest first, from the one after `afterId`, without leaves. */
  checkpointPage(afterId: number, limit: number): Promise<CheckpointHeader[]>;
  checkpointsByHash(hashes: string[]): Promise<CheckpointHeader[]>;
  /** The digest of each of these checkpoints' leaves (the empty digest for one with none). */
  deltaDigests(ids: number[]): Promise<Map<number, DeltaDigest>>;
  /** Checkpoint ids that leaves name but no checkpoint row has (a checkpoint deleted, its leaves left). */
  orphanLeafCheckpoints(limit: number): Promise<number[]>;
  /** Newest leaf per session, in (key, session) order after `after`, of `keyId` or all. */
  newestLeaves(keyId: string | undefined, after: SessionKey | null, limit: number): Promise<NewestLeaf[]>;
  /** The current tips of these sessions (the ones that still exist). */
  tipsOf(keys: SessionKey[]): Promise<SessionTip[]>;
  /**
   * Sessions changed by a transaction below `watermark` whose state is not their newest leaf: changes no checkpoint will
   * ever look at (the change trigger was bypassed, change_xid or the watermark edited, or the database's xids restarted).
   */
  unseenChanges(watermark: number, keyId: string | undefined, sample: number): Promise<{ count: number; sample: SessionKey[] }>;
  /** The stored hash of each (key, session, seq) asked for, keyed `key\nsession\nseq`. */
  eventHashesAt(refs: Array<SessionKey & { seq: number }>): Promise<Map<string, string>>;
}

/** Any constant works; it only has to be the same for every replica. */
const CHECKPOINT_LOCK = 7_246_312;
/** Leaf hashes per page hash in the digest: bounds what one aggregate holds, in any delta size. */
const DIGEST_PAGE = 1024;
const { leaves: _leaves, ...headerColumns } = getTableColumns(auditCheckpoints);

/**
 * A version-2 root, computed by the database so a delta never passes through the gateway:
 *   leaf   = sha256(utf8("<len>:<key>,<len>:<session>,<last_seq>,<len>:<last_hash>,<anchor_seq>,<len>:<anchor_hash>,<first_us>,<last_us>"))
 *            (len: UTF-8 byte length; *_us: microseconds since the epoch)
 *   page   = sha256(concatenated 32-byte leaf hashes of up to 1024 leaves, in (key, session) UTF-8 byte order)
 *   root   = hex sha256(utf8("gateway-audit-checkpoint-v2\n<leaf count>\n") || concatenated page hashes)
 */
export const DELTA_DOMAIN = 'gateway-audit-checkpoint-v2';
const EMPTY_DELTA: DeltaDigest = { sessions: 0, root: createHash('sha256').update(`${DELTA_DOMAIN}\n0\n`).digest('hex') };
const us = (col: string) => sql.raw(`(extract(epoch from ${col}) * 1000000)::bigint`);
const field = (col: string) => sql.raw(`octet_length(${col}) || ':' || ${col}`);

async function digestRange(db: Db, fromId: number, toId: number): Promise<Map<number, DeltaDigest>> {
  const found = await db.execute(sql`
    with l as (
      select checkpoint_id, key_id, session_id,
        sha256(convert_to(concat_ws(',', ${field('key_id')}, ${field('session_id')}, last_seq, ${field('last_hash')}, anchor_seq,
          ${field('anchor_hash')}, ${us('first_seen')}, ${us('last_seen')}), 'UTF8')) as h,
        (row_number() over (partition by checkpoint_id order by key_id collate "C", session_id collate "C") - 1) / ${DIGEST_PAGE} as grp
      from ${auditCheckpointLeaves} where checkpoint_id between ${fromId} and ${toId}
    ), p as (
      select checkpoint_id, grp, count(*) as n, sha256(string_agg(h, ''::bytea order by key_id collate "C", session_id collate "C")) as ph
      from l group by checkpoint_id, grp
    )
    select checkpoint_id, sum(n)::bigint as n,
      encode(sha256(convert_to(${DELTA_DOMAIN} || E'\n' || sum(n)::text || E'\n', 'UTF8') || string_agg(ph, ''::bytea order by grp)), 'hex') as root
    from p group by checkpoint_id`);
  const out = new Map<number, DeltaDigest>();
  for (const r of rowsOf<{ checkpoint_id: number | string; n: number | string; root: string }>(found)) {
    out.set(Number(r.checkpoint_id), { sessions: Number(r.n), root: r.root });
  }
  return out;
}

/** The session columns a leaf copies, in the leaves table's order. */
const TIP = sql.raw('last_seq, last_hash, anchor_seq, anchor_hash, first_seen, last_seen');
const NEWEST_OF_S = sql`(select ${TIP} from ${auditCheckpointLeaves} l
  where l.key_id = s.key_id and l.session_id = s.session_id order by l.checkpoint_id desc limit 1)`;
const differs = sql`(h.last_seq, h.last_hash, h.anchor_seq, h.anchor_hash, h.first_seen, h.last_seen)
  is distinct from (s.last_seq, s.last_hash, s.anchor_seq, s.anchor_hash, s.first_seen, s.last_seen)`;

const tipColumns = {
  keyId: agentSessions.keyId, sessionId: agentSessions.sessionId, lastSeq: agentSessions.lastSeq, lastHash: agentSessions.lastHash,
  anchorSeq: agentSessions.anchorSeq, anchorHash: agentSessions.anchorHash, firstSeen: agentSessions.firstSeen, lastSeen: agentSessions.lastSeen,
};

export function checkpointRepo(db: Db): CheckpointRepo {
  return {
    writeCheckpoint(w) {
      return db.transaction(async (tx) => {
        const t = tx as unknown as Db;
        const [lock] = rowsOf<{ ok: boolean }>(await t.execute(sql`select pg_try_advisory_xact_lock(${CHECKPOINT_LOCK}) as ok`));
        if (!lock?.ok) return null;
        const [prev] = await t.select(headerColumns).from(auditCheckpoints).orderBy(desc(auditCheckpoints.id)).limit(1);
        if (prev && Date.now() - prev.time.getTime() < w.minAgeMs) return null;
        // Taken before the delta's own read, so every transaction below it is visible to that read (a later snapshot's
        // xmin is never lower): sessions changed below it are in this delta or an earlier one.
        const [snap] = rowsOf<{ xmin: string | number; id: string | number }>(await t.execute(sql`
          select pg_snapshot_xmin(pg_current_snapshot())::text::bigint as xmin, nextval(pg_get_serial_sequence('audit_checkpoints', 'id')) as id`));
        const watermark = Number(snap!.xmin);
        const id = Number(snap!.id);
        const [last] = await t.select({ w: auditCheckpoints.watermark }).from(auditCheckpoints)
          .where(sql`${auditCheckpoints.watermark} is not null`).orderBy(desc(auditCheckpoints.id)).limit(1);
        // No delta yet (a new store, or one of full snapshots), or xids went back (the database was restored into a new
        // cluster): look at every session. Which ones go in is decided by comparing state, so a wider look is only slower.
        const from = last?.w != null && last.w <= watermark ? last.w : 0;
        await t.execute(sql`
          insert into ${auditCheckpointLeaves} (checkpoint_id, key_id, session_id, ${TIP})
          select ${id}, s.key_id, s.session_id, s.last_seq, s.last_hash, s.anchor_seq, s.anchor_hash, s.first_seen, s.last_seen
          from ${agentSessions} s left join lateral ${NEWEST_OF_S} h on true
          where s.change_xid >= ${from} and ${differs}`);
        const delta = (await digestRange(t, id, id)).get(id) ?? EMPTY_DELTA;
        const [row] = await t.insert(auditCheckpoints).values({ ...w.build(prev ?? null, delta), id, version: 2, watermark }).returning();
        // Full-snapshot leaf lists are read only while a full snapshot is the newest checkpoint.
        if (prev && prev.version === 1) await t.update(auditCheckpoints).set({ leaves: null }).where(sql`${auditCheckpoints.leaves} is not null`);
        return row ?? null;
      });
    },

    async latestCheckpoint() {
      const [row] = await db.select().from(auditCheckpoints).orderBy(desc(auditCheckpoints.id)).limit(1);
      return row ?? null;
    },

    checkpointPage(afterId, limit) {
      return db.select(headerColumns).from(auditCheckpoints).where(gt(auditCheckpoints.id, afterId)).orderBy(asc(auditCheckpoints.id)).limit(limit);
    },

    async checkpointsByHash(hashes) {
      return hashes.length ? db.select(headerColumns).from(auditCheckpoints).where(inArray(auditCheckpoints.hash, hashes)) : [];
    },

    async deltaDigests(ids) {
      const found = ids.length ? await digestRange(db, Math.min(...ids), Math.max(...ids)) : new Map<number, DeltaDigest>();
      return new Map(ids.map((id) => [id, found.get(id) ?? EMPTY_DELTA]));
    },

    async orphanLeafCheckpoints(limit) {
      const found = await db.execute(sql`
        select distinct l.checkpoint_id from ${auditCheckpointLeaves} l
        where not exists (select 1 from ${auditCheckpoints} c where c.id = l.checkpoint_id) order by 1 limit ${limit}`);
      return rowsOf<{ checkpoint_id: number | string }>(found).map((r) => Number(r.checkpoint_id));
    },

    async newestLeaves(keyId, after, limit) {
      const l = auditCheckpointLeaves;
      const conds = [
        keyId === undefined ? undefined : eq(l.keyId, keyId),
        after ? sql`(${l.keyId}, ${l.sessionId}) > (${after.keyId}, ${after.sessionId})` : undefined,
      ];
      // DISTINCT ON over the (key, session, checkpoint desc) index: one row per session, stopping after `limit` sessions.
      return db
        .selectDistinctOn([l.keyId, l.sessionId], {
          checkpointId: l.checkpointId, keyId: l.keyId, sessionId: l.sessionId, lastSeq: l.lastSeq, lastHash: l.lastHash,
          anchorSeq: l.anchorSeq, anchorHash: l.anchorHash, firstSeen: l.firstSeen, lastSeen: l.lastSeen,
        })
        .from(l)
        .where(and(...conds))
        .orderBy(asc(l.keyId), asc(l.sessionId), desc(l.checkpointId))
        .limit(limit);
    },

    async tipsOf(keys) {
      if (!keys.length) return [];
      const list = JSON.stringify(keys.map((k) => ({ k: k.keyId, s: k.sessionId })));
      return db
        .select(tipColumns)
        .from(agentSessions)
        .innerJoin(sql`json_to_recordset(${list}::json) as r(k text, s text)`, sql`${agentSessions.keyId} = r.k and ${agentSessions.sessionId} = r.s`);
    },

    async unseenChanges(watermark, keyId, sample) {
      const found = await db.execute(sql`
        select s.key_id, s.session_id, count(*) over () as n
        from ${agentSessions} s left join lateral ${NEWEST_OF_S} h on true
        where s.change_xid < ${watermark} and ${differs} ${keyId === undefined ? sql`` : sql`and s.key_id = ${keyId}`}
        limit ${sample}`);
      const rows = rowsOf<{ key_id: string; session_id: string; n: number | string }>(found);
      return { count: rows.length ? Number(rows[0]!.n) : 0, sample: rows.map((r) => ({ keyId: r.key_id, sessionId: r.session_id })) };
    },

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
