// Checkpoint pieces: the ordered digest, Ed25519 signing and its checks, key parsing, the leaf comparison, the file sink.
import { generateKeyPairSync, sign } from 'node:crypto';
import { mkdtempSync, appendFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { SessionTip } from '../../src/storage/checkpoint-repo.js';
import { canonical } from '../../src/tracing/audit-chain.js';
import { checkpointHash, checkSignature, digestLeaves, signCheckpoint, type Leaf } from '../../src/tracing/checkpoint-digest.js';
import { loadSigningKey, parsePrivateKey, trustedKeys } from '../../src/tracing/checkpoint-keys.js';
import { openCheckpointSink } from '../../src/tracing/checkpoint-sink.js';
import { compareToCheckpoint, refsToCheck } from '../../src/tracing/checkpoint-verify.js';

const DAY = 86_400_000;
const now = new Date('2030-01-31T00:00:00Z');
const leaf = (s: string, seq: number, over: Partial<{ anchor: number; first: number; last: number; hash: string }> = {}): Leaf =>
  ['k', s, seq, over.hash ?? `h${seq}`, over.anchor ?? 1, '', over.first ?? now.getTime() - DAY, over.last ?? now.getTime() - 1000];
const tip = (s: string, lastSeq: number, anchorSeq = 1, lastHash = `h${lastSeq}`): SessionTip => ({
  keyId: 'k', sessionId: s, lastSeq, lastHash, anchorSeq, anchorHash: anchorSeq === 1 ? '' : `h${anchorSeq - 1}`, firstSeen: now, lastSeen: now,
});
const tips = (...t: SessionTip[]) => new Map(t.map((x) => [`${x.keyId}\n${x.sessionId}`, x]));
const hashes = (...pairs: Array<[string, number, string]>) => new Map(pairs.map(([s, q, h]) => [`k\n${s}\n${q}`, h]));

describe('digest', () => {
  it('does not depend on row order and changes with any leaf field or the session count', () => {
    const a = [leaf('a', 3), leaf('b', 5)];
    expect(digestLeaves(a)).toBe(digestLeaves([...a].reverse()));
    expect(digestLeaves([leaf('a', 3), leaf('b', 4)])).not.toBe(digestLeaves(a));
    expect(digestLeaves([leaf('a', 3, { hash: 'x' }), leaf('b', 5)])).not.toBe(digestLeaves(a));
    expect(digestLeaves([leaf('a', 3)])).not.toBe(digestLeaves(a));
    expect(digestLeaves([])).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('signing', () => {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const c = signCheckpoint({ time: now.toISOString(), root: 'a'.repeat(64), sessions: 2, prevHash: '' }, privateKey, publicKey);
  const fixed = trustedKeys({ priv: privateKey, pub: publicKey, keyId: c.keyId, source: 'config' }, []);

  it('verifies what it signed, under a trusted key', () => {
    expect(checkSignature(c, fixed)).toBe('ok');
  });
  it('refuses an edited field, an edited hash, and a key nobody trusts', () => {
    expect(checkSignature({ ...c, sessions: 3 }, fixed)).toBe('bad_signature');
    expect(checkSignature({ ...c, root: 'b'.repeat(64) }, fixed)).toBe('bad_signature');
    expect(checkSignature({ ...c, hash: 'f'.repeat(64) }, fixed)).toBe('hash_mismatch');
    const other = generateKeyPairSync('ed25519');
    const forged = signCheckpoint({ time: c.time, root: c.root, sessions: 2, prevHash: '' }, other.privateKey, other.publicKey);
    expect(checkSignature(forged, fixed)).toBe('unknown_key');
    // The forger names our key id but signs with theirs: the key does not match the fingerprint.
    expect(checkSignature({ ...forged, keyId: c.keyId }, fixed)).toBe('unknown_key');
  });
  it('signs version 2 (deltas) and still checks a version-1 (full snapshot) body under its own version', () => {
    expect(c.v).toBe(2);
    expect(checkSignature({ ...c, v: 1 }, fixed)).toBe('bad_signature');
    const body = { v: 1, time: c.time, root: c.root, sessions: 2, prevHash: '', keyId: c.keyId };
    const signature = sign(null, Buffer.from(canonical(body)), privateKey).toString('base64');
    const v1 = { ...body, signature, publicKey: c.publicKey, hash: checkpointHash(body, signature) };
    expect(checkSignature(v1, fixed)).toBe('ok');
    expect(checkSignature({ ...v1, v: 2 }, fixed)).toBe('bad_signature');
  });
  it('reads a key as PEM, base64 DER or a 32-byte seed, and never echoes a bad one', () => {
    const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const der = privateKey.export({ type: 'pkcs8', format: 'der' });
    const seed = der.subarray(-32).toString('base64');
    const fp = (k: ReturnType<typeof parsePrivateKey>) => k.export({ type: 'pkcs8', format: 'der' }).toString('hex');
    expect(fp(parsePrivateKey(seed))).toBe(fp(parsePrivateKey(pem)));
    expect(fp(parsePrivateKey(der.toString('base64')))).toBe(fp(privateKey));
    expect(() => parsePrivateKey('not-a-key-SECRET')).toThrow(/not an Ed25519/);
    expect(() => parsePrivateKey('not-a-key-SECRET')).not.toThrow(/SECRET/);
  });
  it('generates a key once in the data directory, mode 0600, and reuses it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ckkey-'));
    const a = loadSigningKey({ dataDir: dir })!;
    const b = loadSigningKey({ dataDir: dir })!;
    expect(a.source).toBe('generated');
    expect(b.source).toBe('file');
    expect(b.keyId).toBe(a.keyId);
    expect(statSync(join(dir, 'audit-signing-key.pem')).mode & 0o777).toBe(0o600);
    expect(loadSigningKey({ dataDir: 'memory://' })).toBeNull();
  });
});

describe('comparing sessions with a checkpoint', () => {
  const opts = { now, retentionDays: 0 };
  it('passes sessions that only grew', () => {
    const leaves = [leaf('a', 3)];
    const t = tips(tip('a', 5));
    expect(refsToCheck(leaves, t)).toEqual([{ keyId: 'k', sessionId: 'a', seq: 3 }]);
    expect(compareToCheckpoint(leaves, t, hashes(['a', 3, 'h3']), opts).findings).toEqual([]);
  });
  it('names truncation, a deleted session, a moved anchor and a rewritten chain', () => {
    const leaves = [leaf('trunc', 5), leaf('gone', 2), leaf('cut', 4), leaf('rewr', 4)];
    const t = tips(tip('trunc', 3), tip('cut', 4, 3), tip('rewr', 6));
    const r = compareToCheckpoint(leaves, t, hashes(['cut', 4, 'h4'], ['rewr', 4, 'other']), opts);
    expect(r.findings.map((f) => [f.session, f.problem])).toEqual([
      ['trunc', 'truncated'],
      ['gone', 'session_deleted'],
      ['cut', 'anchor_moved'],
      ['rewr', 'rewritten'],
    ]);
  });
  it('lets retention explain deletions and cuts of expired events only', () => {
    const old = now.getTime() - 40 * DAY;
    const leaves = [leaf('idle', 2, { first: old, last: old }), leaf('live', 9, { first: old }), leaf('fresh', 4)];
    const t = tips(tip('live', 9, 3), tip('fresh', 4, 3));
    const r = compareToCheckpoint(leaves, t, hashes(['live', 9, 'h9'], ['fresh', 4, 'h4']), { now, retentionDays: 30 });
    expect(r.expired).toBe(1);
    expect(r.findings.map((f) => [f.session, f.problem])).toEqual([['fresh', 'anchor_moved']]);
    // Without retention the same idle session is a deletion.
    expect(compareToCheckpoint(leaves.slice(0, 1), tips(), new Map(), opts).findings[0]?.problem).toBe('session_deleted');
  });
});

describe('file sink', () => {
  it('appends 0600 lines and reads the tail past a torn line', () => {
    const path = join(mkdtempSync(join(tmpdir(), 'cksink-')), 'sub', 'cp.jsonl');
    const sink = openCheckpointSink(path);
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const c = signCheckpoint({ time: now.toISOString(), root: 'r', sessions: 0, prevHash: '' }, privateKey, publicKey);
    sink.append({ ...c, id: 1 });
    appendFileSync(path, '{"torn":');
    appendFileSync(path, '\n');
    sink.append({ ...c, id: 2, hash: 'x' });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(sink.tail().map((e) => e.id)).toEqual([1, 2]);
    expect(openCheckpointSink(join(path, 'nope')).tail()).toEqual([]);
  });
});
