// Comparing the sessions now with the newest signed checkpoint: truncation, deleted sessions, moved anchors, rewritten chains.
import type { KeyObject } from 'node:crypto';
import type { CheckpointRepo, SessionTip } from '../storage/checkpoint-repo.js';
import type { AuditCheckpointRow } from '../storage/schema.js';
import { checkSignature, digestLeaves, leafRef, publicKeyFromSpki, type Leaf, type SignatureCheck } from './checkpoint-digest.js';
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
  /** Sessions the checkpoint had (for the key asked about, if any). */
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
  repo: Pick<CheckpointRepo, 'latestCheckpoint' | 'checkpointHeaders' | 'checkpointsByHash' | 'sessionTips' | 'eventHashesAt'>;
  trusted: ReadonlyMap<string, KeyObject>;
  sink: CheckpointSink | null;
  retentionDays: number;
}

const header = (c: AuditCheckpointRow) => ({ id: c.id, time: c.time.toISOString(), sessions: c.sessions, keyId: c.keyId, hash: c.hash });

/** Checks the newest checkpoint (signature, its chain link, the file sink), then every session of `keyId` (or all) against it. */
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
  const signature = checkSignature({ ...latest, time: latest.time.toISOString() }, trusted);
  if (signature !== 'ok') problems.push(`checkpoint #${latest.id}: ${signature === 'unknown_key' ? `signed by an untrusted key ${latest.keyId}` : signature.replace('_', ' ')}`);
  const leaves = Array.isArray(latest.leaves) ? (latest.leaves as Leaf[]) : null;
  if (!leaves) problems.push(`checkpoint #${latest.id} has no leaf list`);
  else if (digestLeaves(leaves) !== latest.root || leaves.length !== latest.sessions) problems.push(`checkpoint #${latest.id}: its leaf list does not match its signed root`);
  const [, prev] = await d.repo.checkpointHeaders(2);
  if (prev && latest.prevHash !== prev.hash) problems.push(`checkpoint #${latest.id} does not chain to the checkpoint before it (#${prev.id}): a checkpoint was deleted or altered`);
  if (problems.length || !leaves) return { ...base, status: 'broken', signature };
  const mine = keyId === undefined ? leaves : leaves.filter((l) => l[0] === keyId);
  const tips = new Map((await d.repo.sessionTips(keyId)).map((t) => [leafRef([t.keyId, t.sessionId]), t]));
  const hashes = await d.repo.eventHashesAt(refsToCheck(mine, tips));
  const { findings, expired } = compareToCheckpoint(mine, tips, hashes, { now, retentionDays: d.retentionDays });
  return { ...base, status: findings.length ? 'broken' : 'ok', signature, checkpointSessions: mine.length, findings, expired };
}

function publicKey(spki: unknown): KeyObject | null {
  try {
    return typeof spki === 'string' ? publicKeyFromSpki(spki) : null;
  } catch {
    return null;
  }
}
