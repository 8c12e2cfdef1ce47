// Resolves a presented key to a Principal: config keys first, then the database behind a short-TTL cache.
import type { GatewayConfig } from '../config.js';
import type { SharedRedis } from '../storage/redis.js';
import type { Repo } from '../storage/repo.js';
import { hashKey } from './key-format.js';
import { toAccessPolicy } from './policy-schema.js';
import type { AccessPolicy, Principal } from './types.js';

export const KEY_INVALIDATION_CHANNEL = 'gateway:keys:invalidate';

export type KeyLookup = { ok: true; principal: Principal } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

export interface KeyStore {
  /** True when the gateway has no keys and no admin key: everyone is the anonymous principal. */
  readonly open: boolean;
  lookup(token: string): Promise<KeyLookup>;
  /** Drops a cached key (or all, with '*') here and, through Redis, on every other replica. */
  invalidate(keyHash: string): Promise<void>;
  /** Drops a cached key (or all, with '*') here only: for invalidations arriving from other replicas. */
  drop(keyHash: string): void;
}

interface Cached {
  result: KeyLookup;
  expiresAt: Date | null;
  until: number;
}

export const ANONYMOUS: Principal = { keyId: null, teamId: null, key: null, team: null, metadata: {} };

/** Synchronous so a config reload can swap it in one step; deps subscribes `drop` to the Redis channel. */
export function createKeyStore(deps: { config: GatewayConfig; repo: Repo; redis: SharedRedis | null }): KeyStore {
  const { config, repo, redis } = deps;
  const ttl = config.auth.keyCacheTtlMs;
  const teamPolicy = new Map<string, AccessPolicy>(Object.entries(config.teams).map(([id, { name: _name, ...policy }]) => [id, toAccessPolicy(policy)]));
  const fromConfig = new Map<string, { principal: Principal; expiresAt: Date | null }>();
  for (const k of config.keys) {
    const { id, key, hash, team, expiresAt, metadata, ...policy } = k;
    fromConfig.set(hash ?? hashKey(key!), {
      principal: { keyId: id, teamId: team ?? null, key: toAccessPolicy(policy), team: team ? teamPolicy.get(team)! : null, metadata },
      expiresAt: expiresAt ?? null,
    });
  }
  const cache = new Map<string, Cached>();
  // '*' (a team changed) drops every cached key.
  const drop = (hash: string): void => void (hash === '*' ? cache.clear() : cache.delete(hash));

  function checkExpiry(result: KeyLookup, expiresAt: Date | null): KeyLookup {
    return result.ok && expiresAt && expiresAt.getTime() <= Date.now() ? { ok: false, reason: 'expired' } : result;
  }

  async function load(hash: string): Promise<Cached> {
    const found = await repo.findKeyByHash(hash);
    const until = Date.now() + ttl;
    if (!found) return { result: { ok: false, reason: 'unknown' }, expiresAt: null, until };
    const { key, team } = found;
    if (key.revokedAt) return { result: { ok: false, reason: 'revoked' }, expiresAt: null, until };
    const principal: Principal = {
      keyId: key.id,
      teamId: key.teamId,
      key: toAccessPolicy(key.policy),
      team: team ? toAccessPolicy(team.policy) : null,
      metadata: (key.metadata ?? {}) as Record<string, string>,
    };
    return { result: { ok: true, principal }, expiresAt: key.expiresAt, until };
  }

  return {
    open: fromConfig.size === 0 && !config.auth.adminKey,
    async lookup(token) {
      const hash = hashKey(token);
      const declared = fromConfig.get(hash);
      if (declared) return checkExpiry({ ok: true, principal: declared.principal }, declared.expiresAt);
      let entry = cache.get(hash);
      if (!entry || entry.until <= Date.now()) {
        entry = await load(hash);
        if (ttl > 0) cache.set(hash, entry);
        if (cache.size > 10_000) cache.delete(cache.keys().next().value!); // bound memory under key-guessing floods
      }
      return checkExpiry(entry.result, entry.expiresAt);
    },
    async invalidate(hash) {
      drop(hash);
      await redis?.client.publish(KEY_INVALIDATION_CHANNEL, hash);
    },
    drop,
  };
}
