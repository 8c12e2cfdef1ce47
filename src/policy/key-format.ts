// Virtual key material: generation (`sk-gw-…`), hashing for storage, and the short prefix shown in lists.
import { createHash, randomBytes } from 'node:crypto';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** 32 base62 characters: about 190 bits of entropy. */
export function generateKey(): string {
  const bytes = randomBytes(48);
  let out = '';
  for (const b of bytes) {
    if (b < 248) out += ALPHABET[b % 62]; // 248 = 4 × 62: drop the rest to avoid modulo bias
    if (out.length === 32) break;
  }
  return out.length === 32 ? `sk-gw-${out}` : generateKey();
}

export function hashKey(key: string): string {
  return `sha256:${createHash('sha256').update(key).digest('hex')}`;
}

export function keyPrefix(key: string): string {
  return `${key.slice(0, 10)}…`;
}

export function newId(prefix: string): string {
  return `${prefix}_${randomBytes(8).toString('hex')}`;
}
