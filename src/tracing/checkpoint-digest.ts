// Checkpoint maths: per-session leaves, the full-snapshot digest, the signed body, Ed25519 sign and verify.
// (A delta checkpoint's root is computed by the database: DELTA_DOMAIN in src/storage/checkpoint-repo.ts.)
import { createHash, createPublicKey, sign, verify, type KeyObject } from 'node:crypto';
import type { SessionTip } from '../storage/checkpoint-repo.js';
import { canonical, sha256 } from './audit-chain.js';

/** What this code signs: 2, a delta of the sessions changed since the checkpoint before. 1 was a full snapshot. */
export const CHECKPOINT_VERSION = 2;

/** One session's chain state at checkpoint time: [keyId, sessionId, lastSeq, lastHash, anchorSeq, anchorHash, firstSeen ms, lastSeen ms]. */
export type Leaf = [string, string, number, string, number, string, number, number];

export const toLeaf = (s: SessionTip): Leaf => [s.keyId, s.sessionId, s.lastSeq, s.lastHash, s.anchorSeq, s.anchorHash, s.firstSeen.getTime(), s.lastSeen.getTime()];

export const leafRef = (l: Pick<Leaf, 0 | 1> | [string, string]): string => `${l[0]}\n${l[1]}`;

const byRef = (a: Leaf, b: Leaf) => (leafRef(a) < leafRef(b) ? -1 : leafRef(a) > leafRef(b) ? 1 : 0);

/** Leaves in one canonical order, so the root does not depend on the order the database returned them in. */
export const sortLeaves = (leaves: Leaf[]): Leaf[] => [...leaves].sort(byRef);

/**
 * A version-1 (full snapshot) root: sha256 over the session count and every leaf's hash in (key, session) order.
 * Any change to any session's tip, anchor or presence changes the root.
 */
export function digestLeaves(leaves: Leaf[]): string {
  const h = createHash('sha256').update(`gateway-audit-checkpoint-v1\n${leaves.length}\n`);
  for (const l of sortLeaves(leaves)) h.update(`${sha256(canonical(l))}\n`);
  return h.digest('hex');
}

/** What the signature covers. */
export interface CheckpointBody {
  v: number;
  time: string;
  root: string;
  sessions: number;
  prevHash: string;
  keyId: string;
}

export interface SignedCheckpoint extends CheckpointBody {
  signature: string;
  publicKey: string;
  hash: string;
}

const message = (b: CheckpointBody) =>
  Buffer.from(canonical({ v: b.v, time: b.time, root: b.root, sessions: b.sessions, prevHash: b.prevHash, keyId: b.keyId }));

/** The checkpoint's own hash: what the next checkpoint names as its prev_hash. */
export const checkpointHash = (b: CheckpointBody, signature: string): string => sha256(`${message(b).toString()}\n${signature}`);

export const spkiBase64 = (pub: KeyObject): string => pub.export({ type: 'spki', format: 'der' }).toString('base64');

/** `ed25519:` and the first 32 hex digits of sha256 over the SPKI DER. */
export const fingerprint = (spkiB64: string): string => `ed25519:${createHash('sha256').update(Buffer.from(spkiB64, 'base64')).digest('hex').slice(0, 32)}`;

export function signCheckpoint(body: Omit<CheckpointBody, 'v' | 'keyId'>, priv: KeyObject, pub: KeyObject): SignedCheckpoint {
  const publicKey = spkiBase64(pub);
  const full: CheckpointBody = { v: CHECKPOINT_VERSION, ...body, keyId: fingerprint(publicKey) };
  const signature = sign(null, message(full), priv).toString('base64');
  return { ...full, signature, publicKey, hash: checkpointHash(full, signature) };
}

export type SignatureCheck = 'ok' | 'bad_signature' | 'unknown_key' | 'hash_mismatch';

/**
 * A checkpoint is good when its key is one we trust (by fingerprint), the signature verifies under that key,
 * and its stored hash is the hash of its content (so the chain of checkpoints cannot be re-linked).
 */
export function checkSignature(c: SignedCheckpoint, trusted: ReadonlyMap<string, KeyObject>): SignatureCheck {
  const key = trusted.get(c.keyId);
  if (!key || fingerprint(spkiBase64(key)) !== fingerprint(c.publicKey)) return 'unknown_key';
  let good = false;
  try {
    good = verify(null, message(c), key, Buffer.from(c.signature, 'base64'));
  } catch {
    good = false;
  }
  if (!good) return 'bad_signature';
  return checkpointHash(c, c.signature) === c.hash ? 'ok' : 'hash_mismatch';
}

export const publicKeyFromSpki = (spkiB64: string): KeyObject => createPublicKey({ key: Buffer.from(spkiB64, 'base64'), format: 'der', type: 'spki' });
