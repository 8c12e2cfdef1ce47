// The MCP sessions table: the durable copy of each 2025-era session record, so a Redis or gateway restart ends no session.
import { index, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * One row per live MCP session (Streamable HTTP, 2025 revisions): what a replica needs to rebuild it. Redis (or the
 * process) holds the working copy; this one is read only when that copy is missing. `last_seen_at` is refreshed at
 * most every quarter of the idle TTL, and rows idle past the TTL are pruned.
 */
export const mcpSessions = pgTable(
  'mcp_sessions',
  {
    id: text('id').primaryKey(),
    keyId: text('key_id'),
    route: text('route').notNull(),
    protocolVersion: text('protocol_version').notNull(),
    clientInfo: jsonb('client_info').notNull(),
    capabilities: jsonb('capabilities').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
    lastSeenAt: timestamp('last_seen_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [index('mcp_sessions_last_seen_idx').on(t.lastSeenAt)],
);

export type McpSessionRow = typeof mcpSessions.$inferSelect;
