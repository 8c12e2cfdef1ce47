// Session records that outlive Redis and the process: the working store in front, the database behind it.
import type { Logger } from '../../log.js';
import type { McpSessionsRepo } from '../../storage/mcp-sessions-repo.js';
import type { SessionRecord, SessionStore } from './session-store.js';

const PRUNE_EVERY_MS = 10 * 60_000;
const MAX_TOUCHED = 100_000;

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
 * at most every quarter of the idle TTL by each replica, and read only when the working copy is gone: Redis restarted empty or could
 * not answer, or the gateway itself restarted. A session idle past the TTL is gone from both.
 */
export function withArchive(fast: SessionStore, repo: McpSessionsRepo, ttlMs: () => number, log: Logger, now: () => number = Date.now): SessionStore {
  const pruner = setInterval(() => {
    void repo.prune(new Date(now() - ttlMs())).catch((err: Error) => log.warn({ err: err.message }, 'mcp: could not prune session records'));
  }, PRUNE_EVERY_MS);
  pruner.unref();

  /** When this replica last refreshed each session's durable copy (bounded: the oldest entries go first). */
  const touched = new Map<string, number>();
  const touch = (id: string, at: number): void => {
    touched.delete(id);
    touched.set(id, at);
    if (touched.size > MAX_TOUCHED) touched.delete(touched.keys().next().value!);
    void repo.touch(id, new Date(at)).catch((err: Error) => log.warn({ err: err.message }, 'mcp: could not touch a session record'));
  };

  return {
    kind: fast.kind,
    async put(rec) {
      await fast.put(rec);
      touched.set(rec.id, rec.createdAt);
      // The working copy is enough to serve the session: a database that cannot take the row costs only durability.
      await repo.insert(toRow(rec, rec.createdAt)).catch((err: Error) => log.warn({ err: err.message }, 'mcp: could not archive a session record'));
    },
    async get(id) {
      const t = now();
      const rec = await fast.get(id).catch((err: Error) => {
        log.warn({ err: err.message }, 'mcp: session store unavailable; reading the database');
        return null;
      });
      if (rec) {
        if (t - (touched.get(id) ?? rec.createdAt) > ttlMs() / 4) touch(id, t);
        return rec;
      }
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
      // Healed into the working store. A delete removes the durable copy first, so a miss here never revives an ended session.
      await fast.put(restored).catch(() => undefined);
      touch(id, t);
      return restored;
    },
    async delete(id) {
      touched.delete(id);
      try {
        await repo.remove(id);
      } finally {
        await fast.delete(id);
      }
    },
    async close() {
      clearInterval(pruner);
      await fast.close();
    },
  };
}
