// The checkpoint signing key: from config/env, else generated once into <dataDir>/audit-signing-key.pem; the trusted public keys.
import { createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fingerprint, spkiBase64 } from './checkpoint-digest.js';

export interface SigningKey {
  priv: KeyObject;
  pub: KeyObject;
  keyId: string;
  source: 'config' | 'file' | 'generated';
}

export interface PublicKeyView {
  keyId: string;
  pem: string;
  /** Whether this replica signs with it (the others are trusted for verification only). */
  signing: boolean;
}

/** PKCS8 DER prefix of an Ed25519 private key; a bare 32-byte seed follows it. */
const SEED_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');

function ed25519(k: KeyObject, what: string): KeyObject {
  if (k.asymmetricKeyType !== 'ed25519') throw new Error(`${what} is a ${k.asymmetricKeyType ?? 'unknown'} key, not Ed25519`);
  return k;
}

/** A PEM PKCS8 key, base64 PKCS8 DER, or a base64 32-byte seed. The error never echoes the key. */
export function parsePrivateKey(text: string): KeyObject {
  try {
    const t = text.trim();
    if (t.startsWith('-----BEGIN')) return ed25519(createPrivateKey(t), 'the audit signing key');
    const der = Buffer.from(t, 'base64');
    const pkcs8 = der.length === 32 ? Buffer.concat([SEED_PREFIX, der]) : der;
    return ed25519(createPrivateKey({ key: pkcs8, format: 'der', type: 'pkcs8' }), 'the audit signing key');
  } catch (err) {
    const m = (err as Error).message;
    throw new Error(m.includes('not Ed25519') ? m : 'the audit signing key is not an Ed25519 PKCS8 key (PEM, base64 DER, or a base64 32-byte seed)');
  }
}

/** A PEM SPKI key or base64 SPKI DER. */
export function parsePublicKey(text: string): KeyObject {
  const t = text.trim();
  const k = t.startsWith('-----BEGIN') ? createPublicKey(t) : createPublicKey({ key: Buffer.from(t, 'base64'), format: 'der', type: 'spki' });
  return ed25519(k, 'a trusted audit public key');
}

export const publicPem = (pub: KeyObject): string => pub.export({ type: 'spki', format: 'pem' }).toString();

function fromPrivate(priv: KeyObject, source: SigningKey['source']): SigningKey {
  const pub = createPublicKey(priv);
  return { priv, pub, keyId: fingerprint(spkiBase64(pub)), source };
}

/**
 * The configured key wins. Without one, a key is generated once and kept (mode 0600) in the data directory;
 * with no data directory (memory://) there is nowhere to keep it, so no key: a key lost at restart signs nothing verifiable.
 */
export function loadSigningKey(opts: { signingKey?: string; dataDir: string; generate?: boolean }): SigningKey | null {
  if (opts.signingKey) return fromPrivate(parsePrivateKey(opts.signingKey), 'config');
  if (opts.dataDir === 'memory://') return null;
  const path = join(opts.dataDir, 'audit-signing-key.pem');
  if (existsSync(path)) return fromPrivate(parsePrivateKey(readFileSync(path, 'utf8')), 'file');
  if (opts.generate === false) return null; // a verifier (the CLI) never mints a key of its own
  mkdirSync(opts.dataDir, { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  try {
    // `wx`: a replica starting at the same moment keeps the key the other one wrote.
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return fromPrivate(parsePrivateKey(readFileSync(path, 'utf8')), 'file');
    throw err;
  }
  return fromPrivate(privateKey, 'generated');
}

/** Every key a checkpoint may be signed with, by fingerprint: ours, and those configured as trusted (other replicas, older keys). */
export function trustedKeys(signing: SigningKey | null, extra: string[]): Map<string, KeyObject> {
  const out = new Map<string, KeyObject>();
  if (signing) out.set(signing.keyId, signing.pub);
  for (const text of extra) {
    const k = parsePublicKey(text);
    out.set(fingerprint(spkiBase64(k)), k);
  }
  return out;
}
