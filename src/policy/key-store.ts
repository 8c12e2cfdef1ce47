// Resolves a presented key to a Principal (config keys first, then the database behind a short-TTL cache), whether the gateway is open, and the one view of teams.
import type { GatewayConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import type { SharedRedis } from '../storage/redis.js';
import type { Repo } from '../storage/repo.js';
import type { TeamRow } from '../storage/schema.js';
import { hashKey } from './key-format.js';
import { toAccessPolicy } from './policy-schema.js';
import type { AccessPolicy, Principal } from './types.js';

export const KEY_INVALIDATION_CHANNEL = 'gateway:keys:invalidate';

export type KeyLookup = { ok: true; principal: Principal } | { ok: false; reason: 'unknown' | 'revoked' | 'expired' };

export interface KeyStore {
  /** The mode as last checked by isOpen() (for guards running after authenticate). */
  readonly open: boolean;
  /**
   * True while there is no admin key, no config key and no key in the database: everyone is the anonymous
   * principal. Keys bind as soon as they exist: a key created anywhere closes the gateway, at once through an
   * invalidation (local or Redis), else within a short TTL. Keys are never deleted, so closed stays closed.
   */
  isOpen(): Promise<boolean>;
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

/** While open, how stale "no keys in the database" may be when no invalidation arrives (another process without Redis). */
export const OPEN_CHECK_TTL_MS = 5_000;

export const ANONYMOUS: Principal = { keyId: null, teamId: null, key: null, team: null, metadata: {} };

/** A team as the admin API and CLI show it; `source: "config"` teams are declared in gateway.yaml and read-only there. */
export interface TeamRecord {
  id: string;
  name: string;
  policy: AccessPolicy;
  metadata: unknown;
  /** When the database row was created; null for a config team. */
  createdAt: string | null;
  source: 'config' | 'database';
}

/** Teams from gateway.yaml and from the database as one view: a config team wins over a database row with its id. */
export interface TeamsView {
  /** A team declared in config (synchronous: key lookups use it on every cache miss). */
  declared(id: string): { name: string; policy: AccessPolicy } | null;
  get(id: string): Promise<TeamRecord | null>;
  /** Config teams and database teams, by id. */
  list(): Promise<TeamRecord[]>;
}

export function teamRecord(t: TeamRow): TeamRecord {
  return { id: t.id, name: t.name, policy: toAccessPolicy(t.policy), metadata: t.metadata, createdAt: t.createdAt.toISOString(), source: 'database' };
}

export function createTeamsView(teams: GatewayConfig['teams'], repo: Pick<Repo, 'getTeam' | 'listTeams'>): TeamsView {
  const declared = new Map(Object.entries(teams).map(([id, { name, ...policy }]) => [id, { name: name ?? id, policy: toAccessPolicy(policy) }]));
  const fromConfig = (id: string): TeamRecord | null => {
    const t = declared.get(id);
    return t ? { id, name: t.name, policy: t.policy, metadata: {}, createdAt: null, source: 'config' } : null;
  };
  return {
    declared: (id) => declared.get(id) ?? null,
    async get(id) {
      const row = fromConfig(id) ? null : await repo.getTeam(id);
      return fromConfig(id) ?? (row ? teamRecord(row) : null);
    },
    async list() {
      // A database row that shares a config team's id is that team's mirror (keys need a row to point at): config shows.
      const rows = (await repo.listTeams()).filter((t) => !declared.has(t.id)).map(teamRecord);
      return [...[...declared.keys()].map((id) => fromConfig(id)!), ...rows].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    },
  };
}

/** Synchronous so a config reload can swap it in one step; deps subscribes `drop` to the Redis channel. */
export function createKeyStore(deps: { config: GatewayConfig; repo: Repo; redis: SharedRedis | null; teams?: TeamsView }): KeyStore {
  const { config, repo, redis } = deps;
  const teams = deps.teams ?? createTeamsView(config.teams, repo);
  const ttl = config.auth.keyCacheTtlMs;
  const fromConfig = new Map<string, { principal: Principal; expiresAt: Date | null }>();
  for (const k of config.keys) {
    const { id, key, hash, team, expiresAt, metadata, ...policy } = k;
    fromConfig.set(hash ?? hashKey(key!), {
      principal: { keyId: id, teamId: team ?? null, key: toAccessPolicy(policy), team: team ? teams.declared(team)!.policy : null, metadata },
      expiresAt: expiresAt ?? null,
    });
  }
  const cache = new Map<string, Cached>();
  const staticallyClosed = fromConfig.size > 0 || !!config.auth.adminKey || !!config.auth.oauth;
  const openTtl = Math.min(ttl, OPEN_CHECK_TTL_MS);
  let dbHasKeys = false;
  let checkedAt = -Infinity;
  let generation = 0;
  let checking: { gen: number; result: Promise<boolean> } | null = null;
  // '*' (a team changed) drops every cached key; any invalidation (a key created, revoked…) re-reads the mode.
  const drop = (hash: string): void => {
    generation++;
    checkedAt = -Infinity;
    if (hash === '*') cache.clear();
    else cache.delete(hash);
  };

  async function checkDatabase(): Promise<boolean> {
    const gen = generation;
    const started = Date.now();
    let rows;
    try {
      rows = await repo.listKeys({});
    } catch (err) {
      // Fail closed but say why: not a 401 that blames the caller's (absent) key.
      throw new GatewayError('store_unavailable', 'The gateway cannot read its keys from the database right now; retry shortly.', { cause: err });
    }
    // Revoked and expired keys count too: revoking the last key must not silently reopen the gateway.
    if (rows.length > 0) dbHasKeys = true;
    if (gen === generation) checkedAt = started;
    return !dbHasKeys;
  }

  function checkExpiry(result: KeyLookup, expiresAt: Date | null): KeyLookup {
    return result.ok && expiresAt && expiresAt.getTime() <= Date.now() ? { ok: false, reason: 'expired' } : result;
  }

  async function load(hash: string): Promise<Cached> {
    const found = await repo.findKeyByHash(hash);
    const until = Date.now() + ttl;
    if (!found) return { result: { ok: false, reason: 'unknown' }, expiresAt: null, until };
    const { key, team } = found;
    if (key.revokedAt) return { result: { ok: false, reason: 'revoked' }, expiresAt: null, until };
    // A team declared in config rules its keys; the database row is only what the key points at.
    const teamPolicy = key.teamId ? (teams.declared(key.teamId)?.policy ?? (team ? toAccessPolicy(team.policy) : null)) : null;
    const principal: Principal = {
      keyId: key.id,
      teamId: key.teamId,
      key: toAccessPolicy(key.policy),
      team: teamPolicy,
      metadata: (key.metadata ?? {}) as Record<string, string>,
    };
    return { result: { ok: true, principal }, expiresAt: key.expiresAt, until };
  }

  return {
    get open() {
      return !staticallyClosed && !dbHasKeys;
    },
    async isOpen() {
      if (staticallyClosed || dbHasKeys) return false;
      if (Date.now() - checkedAt < openTtl) return true;
      // Concurrent requests share one query, unless an invalidation came after it started.
      if (checking?.gen !== generation) {
        const mine: { gen: number; result: Promise<boolean> } = { gen: generation, result: checkDatabase().finally(() => void (checking === mine && (checking = null))) };
        checking = mine;
      }
      return checking.result;
    },
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
