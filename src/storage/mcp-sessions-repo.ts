// Queries over the durable MCP session records: write once, read on a working-copy miss, touch, end, prune.
import { and, eq, gt, lt } from 'drizzle-orm';
import type { Db } from './db.js';
import { mcpSessions, type McpSessionRow } from './schema.js';

export interface McpSessionsRepo {
  insert(row: McpSessionRow): Promise<void>;
  /** The session if it was seen after `seenAfter` (an idle one is as good as gone). */
  find(id: string, seenAfter: Date): Promise<McpSessionRow | null>;
  touch(id: string, at: Date): Promise<void>;
  remove(id: string): Promise<void>;
  /** Deletes sessions idle since before `before`; returns how many. */
  prune(before: Date): Promise<number>;
}

export function mcpSessionsRepo(db: Db): McpSessionsRepo {
  return {
    async insert(row) {
      await db.insert(mcpSessions).values(row).onConflictDoNothing();
    },
    async find(id, seenAfter) {
      const rows = await db.select().from(mcpSessions).where(and(eq(mcpSessions.id, id), gt(mcpSessions.lastSeenAt, seenAfter))).limit(1);
      return rows[0] ?? null;
    },
    async touch(id, at) {
      await db.update(mcpSessions).set({ lastSeenAt: at }).where(eq(mcpSessions.id, id));
    },
    async remove(id) {
      await db.delete(mcpSessions).where(eq(mcpSessions.id, id));
    },
    async prune(before) {
      const gone = await db.delete(mcpSessions).where(lt(mcpSessions.lastSeenAt, before)).returning({ id: mcpSessions.id });
      return gone.length;
    },
  };
}
