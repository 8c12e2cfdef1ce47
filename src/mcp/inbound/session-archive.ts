// Session records that outlive Redis and the process: the working store in front, the database behind it.
import type { Logger } from '../../log.js';
import type { McpSessionsRepo } from '../../storage/mcp-sessions-repo.js';
import type { SessionRecord, SessionStore } from './session-store.js';

const PRUNE_EVERY_MS = 10 * 60_000;

function toRow(rec: SessionRecord, seen: number) {
  return {
    id: rec.id,
    keyId: rec.keyId,
    route: rec.route,
    protocolVersion: rec.protocolVersion,
    clientInfo: rec.clientInfo,
    capabilities: rec.capabilities,
    createdAt: new Date(rec.createdAt),
    lastSeenAt: new Date(seen),
  };
}

/**
 * The working store (Redis, or this process) answers every lookup; the database is written once per session, touched
 * at most every quarter of the idle TTL, and read only when the working copy is gone: Redis restarted empty or could
 * not answer, or the gateway itself restarted. A session idle past the TTL is gone from both.
 */
export function withArchive(fast: SessionStore, repo: McpSessionsRepo, ttlMs: () => number, log: Logger, now: () => number = Date.now): SessionStore {
  const pruner = setInterval(() => {
    void repo.prune(new Date(now() - ttlMs())).catch((err: Error) => log.warn({ err: err.message }, 'mcp: could not prune session records'));
  }, PRUNE_EVERY_MS);
  pruner.unref();

  const touch = (rec: SessionRecord, at: number): SessionRecord => {
    const next = { ...rec, touchedAt: at };
    void fast.put(next).catch(() => undefined);
    void repo.touch(rec.id, new Date(at)).catch((err: Error) => log.warn({ err: err.message }, 'mcp: could not touch a session record'));
    return next;
  };

  return {
    kind: fast.kind,
    async put(rec) {
      await fast.put({ ...rec, touchedAt: rec.createdAt });
      // The working copy is enough to serve the session: a database that cannot take the row costs only durability.
      await repo.insert(toRow(rec, rec.createdAt)).catch((err: Error) => log.warn({ err: err.message }, 'mcp: could not archive a session record'));
    },
    async get(id) {
      const t = now();
      const rec = await fast.get(id).catch((err: Error) => {
        log.warn({ err: err.message }, 'mcp: session store unavailable; reading the database');
        return null;
      });
      if (rec) return t - (rec.touchedAt ?? rec.createdAt) > ttlMs() / 4 ? touch(rec, t) : rec;
      const row = await repo.find(id, new Date(t - ttlMs())).catch(() => null);
      if (!row) return null;
      log.info({ route: row.route }, 'mcp: session restored from the database');
      const restored: SessionRecord = {
        id: row.id,
        keyId: row.keyId,
        route: row.route,
        protocolVersion: row.protocolVersion,
        clientInfo: row.clientInfo as Record<string, unknown>,
        capabilities: row.capabilities as Record<string, unknown>,
        createdAt: row.createdAt.getTime(),
      };
      return touch(restored, t);
    },
    async delete(id) {
      await Promise.all([fast.delete(id), repo.remove(id)]);
    },
    async close() {
      clearInterval(pruner);
      await fast.close();
    },
  };
}
