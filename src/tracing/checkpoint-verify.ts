// Comparing the sessions now with their checkpointed state: truncation, deleted sessions, moved anchors, rewritten chains.
import type { KeyObject } from 'node:crypto';
import type { SessionKey } from '../storage/audit-repo.js';
import type { CheckpointHeader, CheckpointRepo, SessionTip } from '../storage/checkpoint-repo.js';
import type { AuditCheckpointRow } from '../storage/schema.js';
import { checkpointHash, checkSignature, digestLeaves, leafRef, publicKeyFromSpki, toLeaf, type Leaf, type SignatureCheck, type SignedCheckpoint } from './checkpoint-digest.js';
import type { CheckpointSink } from './checkpoint-sink.js';

export type CheckpointProblem = 'truncated' | 'session_deleted' | 'anchor_moved' | 'rewritten';

export interface CheckpointFinding {
  session: string;
  key: string | null;
  problem: CheckpointProblem;
  detail: string;
}

export interface CheckpointReport {
  /** `broken`: the checkpoint itself or the sessions fail; `none`: no checkpoint yet; `not_configured`: no key to trust. */
  status: 'ok' | 'broken' | 'none' | 'not_configured';
  checkpoint: { id: number; time: string; sessions: number; keyId: string; hash: string } | null;
  signature: SignatureCheck | null;
  /** Sessions the checkpoints cover (for the key asked about, if any): each one's newest leaf was compared. */
  checkpointSessions: number;
  findings: CheckpointFinding[];
  /** Checkpointed sessions since deleted by retention (idle past audit.retentionDays). */
  expired: number;
  /** Why the status is `broken`, beyond the per-session findings. */
  problems: string[];
  warnings: string[];
}

const DAY = 86_400_000;
const eventRef = (k: string, s: string, seq: number) => `${k}\n${s}\n${seq}`;

/** The events whose hash must still match the checkpoint's leaf: each session's tip seq at checkpoint time, if not cut since. */
export function refsToCheck(leaves: Leaf[], tips: Map<string, SessionTip>): Array<{ keyId: string; sessionId: string; seq: number }> {
  return leaves.flatMap(([k, s, seq]) => {
    const cur = tips.get(leafRef([k, s]));
    return cur && seq > 0 && seq >= cur.anchorSeq && seq <= cur.lastSeq ? [{ keyId: k, sessionId: s, seq }] : [];
  });
}

/**
 * Anchor rule: an anchor later than at the checkpoint is retention's work only when retention is on and the events it cut
 * had expired: when the cut passes the checkpoint's tip, the session's last event then must be older than the cutoff;
 * otherwise its oldest event then must be. Anything else is flagged.
 */
export function compareToCheckpoint(
  leaves: Leaf[],
  tips: Map<string, SessionTip>,
  hashesAt: Map<string, string>,
  opts: { now: Date; retentionDays: number },
): { findings: CheckpointFinding[]; expired: number } {
  const cutoff = opts.retentionDays > 0 ? opts.now.getTime() - opts.retentionDays * DAY : -Infinity;
  const findings: CheckpointFinding[] = [];
  let expired = 0;
  for (const [k, s, seq, hash, anchorSeq, anchorHash, firstSeen, lastSeen] of leaves) {
    const flag = (problem: CheckpointProblem, detail: string) => findings.push({ session: s, key: k || null, problem, detail });
    const cur = tips.get(leafRef([k, s]));
    if (!cur) {
      if (lastSeen < cutoff) expired++;
      else flag('session_deleted', `the session had ${seq} events at the checkpoint and is gone`);
      continue;
    }
    if (cur.lastSeq < seq) {
      flag('truncated', `the tip is at seq ${cur.lastSeq}, lower than seq ${seq} at the checkpoint`);
      continue;
    }
    if (cur.anchorSeq > anchorSeq && !(cur.anchorSeq > seq ? lastSeen < cutoff : firstSeen < cutoff)) {
      flag('anchor_moved', `the anchor moved from seq ${anchorSeq} to ${cur.anchorSeq}${opts.retentionDays > 0 ? ' and retention does not explain it' : ' with retention off'}`);
      continue;
    }
    if (cur.anchorSeq < anchorSeq) {
      flag('anchor_moved', `the anchor moved back from seq ${anchorSeq} to ${cur.anchorSeq}`);
      continue;
    }
    if (cur.anchorSeq === anchorSeq && cur.anchorHash !== anchorHash) {
      flag('rewritten', `the anchor hash at seq ${anchorSeq} differs from the checkpoint's`);
      continue;
    }
    if (seq > 0 && seq >= cur.anchorSeq) {
      const now = hashesAt.get(eventRef(k, s, seq));
      if (now === undefined) flag('truncated', `the event at seq ${seq} (the tip at the checkpoint) is missing`);
      else if (now !== hash) flag('rewritten', `the event at seq ${seq} has a hash other than the checkpoint's: the chain was rewritten`);
      else if (cur.lastSeq === seq && cur.lastHash !== hash) flag('rewritten', `the session tip hash at seq ${seq} differs from the checkpoint's`);
    }
  }
  return { findings, expired };
}

export interface CheckDeps {
  repo: Pick<
    CheckpointRepo,
    'latestCheckpoint' | 'checkpointPage' | 'checkpointsByHash' | 'deltaDigests' | 'orphanLeafCheckpoints' | 'newestLeaves' | 'tipsOf' | 'unseenChanges' | 'eventHashesAt'
  >;
  trusted: ReadonlyMap<string, KeyObject>;
  sink: CheckpointSink | null;
  retentionDays: number;
}

/** Rows per read: checkpoints, sessions' newest leaves, tips. Verification never holds more than a page of them. */
const PAGE = 1000;
/** Problems named one by one before the rest are counted. */
const MAX_NAMED = 10;

const header = (c: CheckpointHeader) => ({ id: c.id, time: c.time.toISOString(), sessions: c.sessions, keyId: c.keyId, hash: c.hash });
const signed = (c: CheckpointHeader): SignedCheckpoint => ({ ...c, v: c.version, time: c.time.toISOString() });

/**
 * Walks every checkpoint, oldest first: each one's stored hash is the hash of its content, names the one before it (the
 * first names none), and a delta's leaves still digest to its signed root. With the newest one's signature this proves
 * every older checkpoint, as each hash covers the one before.
 */
async function checkChain(repo: CheckDeps['repo'], latestId: number): Promise<string[]> {
  const problems: string[] = [];
  let prev: CheckpointHeader | null = null;
  for (let after = 0; ; ) {
    const page = await repo.checkpointPage(after, PAGE);
    if (!page.length) break;
    const digests = await repo.deltaDigests(page.filter((c) => c.version >= 2).map((c) => c.id));
    for (const c of page) {
      if (c.id !== latestId && checkpointHash(signed(c), c.signature) !== c.hash) problems.push(`checkpoint #${c.id}: its content does not match its hash: it was altered`);
      if (prev && c.prevHash !== prev.hash) problems.push(`checkpoint #${c.id} does not chain to the checkpoint before it (#${prev.id}): a checkpoint was deleted or altered`);
      if (!prev && c.prevHash !== '') problems.push(`the oldest checkpoint #${c.id} names a checkpoint before it that is gone: checkpoints were deleted`);
      const dg = digests.get(c.id);
      if (dg && (dg.root !== c.root || dg.sessions !== c.sessions)) {
        problems.push(`checkpoint #${c.id}: its leaves (${dg.sessions} stored, ${c.sessions} signed) do not match its signed root: leaves were edited, added or deleted`);
      }
      prev = c;
    }
    after = page.at(-1)!.id;
  }
  const orphans = await repo.orphanLeafCheckpoints(MAX_NAMED);
  if (orphans.length) problems.push(`leaves name checkpoint(s) #${orphans.join(', #')} that are gone: checkpoints were deleted`);
  return problems.length > MAX_NAMED ? [...problems.slice(0, MAX_NAMED), `and ${problems.length - MAX_NAMED} more checkpoint problems`] : problems;
}

interface Tally {
  sessions: number;
  findings: CheckpointFinding[];
  expired: number;
}

/** Compares one page of checkpointed sessions with what they are now. */
async function comparePage(d: CheckDeps, leaves: Leaf[], now: Date, into: Tally): Promise<void> {
  const keys: SessionKey[] = leaves.map(([keyId, sessionId]) => ({ keyId, sessionId }));
  const tips = new Map((await d.repo.tipsOf(keys)).map((t) => [leafRef([t.keyId, t.sessionId]), t]));
  const hashes = await d.repo.eventHashesAt(refsToCheck(leaves, tips));
  const r = compareToCheckpoint(leaves, tips, hashes, { now, retentionDays: d.retentionDays });
  into.sessions += leaves.length;
  into.findings.push(...r.findings);
  into.expired += r.expired;
}

/** Each session's newest leaf across the delta checkpoints, a page at a time. */
async function compareDeltas(d: CheckDeps, keyId: string | undefined, now: Date, into: Tally): Promise<void> {
  for (let after: SessionKey | null = null; ; ) {
    const page = await d.repo.newestLeaves(keyId, after, PAGE);
    if (page.length) await comparePage(d, page.map(toLeaf), now, into);
    if (page.length < PAGE) return;
    const last = page.at(-1)!;
    after = { keyId: last.keyId, sessionId: last.sessionId };
  }
}

/**
 * Checks the checkpoints (the newest one's signature, the chain back to the first, each delta's leaves against its root,
 * the file sink), then every checkpointed session of `keyId` (or all) against its newest leaf. A full-snapshot (version 1)
 * checkpoint that is still the newest is compared as it was: against its own leaf list.
 */
export async function checkAgainstCheckpoint(d: CheckDeps, keyId?: string, now = new Date()): Promise<CheckpointReport> {
  const problems: string[] = [];
  const warnings: string[] = [];
  const sinkEntries = d.sink?.tail() ?? [];
  const trusted = new Map(d.trusted);
  // A key named in the sink (kept off the database host) is trusted too: a database admin cannot write there.
  for (const e of sinkEntries) {
    const k = trusted.has(e.keyId) ? null : publicKey(e.publicKey);
    if (k && checkSignature(e, new Map([[e.keyId, k]])) === 'ok') trusted.set(e.keyId, k);
  }
  const latest = await d.repo.latestCheckpoint();
  const base = { checkpoint: latest ? header(latest) : null, signature: null, checkpointSessions: 0, findings: [], expired: 0, problems, warnings };
  if (!trusted.size) {
    if (latest) warnings.push('checkpoints exist but no signing key or trusted public key is configured here: they were not checked');
    return { ...base, status: 'not_configured' };
  }
  if (sinkEntries.length) {
    const inDb = new Set((await d.repo.checkpointsByHash(sinkEntries.map((e) => e.hash))).map((c) => c.hash));
    const missing = sinkEntries.filter((e) => !inDb.has(e.hash));
    for (const e of missing.slice(-5)) problems.push(`checkpoint #${e.id} of ${e.time} is in the file sink (${d.sink!.path}) but missing from the database`);
    const newestFile = sinkEntries.at(-1)!;
    if (latest && latest.id < newestFile.id && !missing.length) problems.push(`the database's newest checkpoint #${latest.id} is older than the file sink's #${newestFile.id}`);
    if (latest && latest.id > newestFile.id) warnings.push(`the database has checkpoints newer than this replica's file sink (written by another replica, or the file write failed)`);
  }
  if (!latest) return { ...base, status: problems.length ? 'broken' : 'none' };
  const signature = checkSignature(signed(latest), trusted);
  if (signature !== 'ok') problems.push(`checkpoint #${latest.id}: ${signature === 'unknown_key' ? `signed by an untrusted key ${latest.keyId}` : signature.replace('_', ' ')}`);
  problems.push(...(await checkChain(d.repo, latest.id)));
  const snapshot = latest.version === 1 ? fullSnapshot(latest, problems) : null;
  if (problems.length) return { ...base, status: 'broken', signature };

  const tally: Tally = { sessions: 0, findings: [], expired: 0 };
  if (snapshot) {
    const mine = keyId === undefined ? snapshot : snapshot.filter((l) => l[0] === keyId);
    for (let i = 0; i < mine.length; i += PAGE) await comparePage(d, mine.slice(i, i + PAGE), now, tally);
  } else {
    await compareDeltas(d, keyId, now, tally);
    const unseen = await d.repo.unseenChanges(latest.watermark ?? 0, keyId, 5);
    if (unseen.count) {
      problems.push(
        `${unseen.count} session(s) changed since their last checkpoint without being marked for the next one (e.g. ${unseen.sample.map((k) => k.sessionId).join(', ')}): ` +
          'the change trigger on agent_sessions was bypassed or change_xid edited, so their changes are not being checkpointed',
      );
    }
  }
  const broken = tally.findings.length > 0 || problems.length > 0;
  return { ...base, status: broken ? 'broken' : 'ok', signature, checkpointSessions: tally.sessions, findings: tally.findings, expired: tally.expired };
}

/** A version-1 checkpoint's own leaf list, if it still matches its root. */
function fullSnapshot(c: AuditCheckpointRow, problems: string[]): Leaf[] | null {
  const leaves = Array.isArray(c.leaves) ? (c.leaves as Leaf[]) : null;
  if (!leaves) problems.push(`checkpoint #${c.id} has no leaf list`);
  else if (digestLeaves(leaves) !== c.root || leaves.length !== c.sessions) problems.push(`checkpoint #${c.id}: its leaf list does not match its signed root`);
  return leaves;
}

function publicKey(spki: unknown): KeyObject | null {
  try {
    return typeof spki === 'string' ? publicKeyFromSpki(spki) : null;
  } catch {
    return null;
  }
}
