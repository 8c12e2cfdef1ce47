// The tool pins table: each upstream MCP tool's approved definition hash, and a changed definition waiting for approval.
import { jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * One row per (server, upstream tool name). `approved_hash` is what may be served; `pending_hash` is a definition seen
 * since that differs from it (or a first sight that was not trusted), held back until an admin approves or rejects it.
 * Definitions are stored bounded (large schemas are cut and marked `_truncated`); the hashes always cover the whole one.
 */
export const toolPins = pgTable(
  'tool_pins',
  {
    serverId: text('server_id').notNull(),
    toolName: text('tool_name').notNull(),
    /** `approved` (nothing pending), `quarantined` (a pending definition awaits review) or `rejected` (reviewed, refused). */
    status: text('status').notNull(),
    approvedHash: text('approved_hash'),
    approvedDefinition: jsonb('approved_definition'),
    pendingHash: text('pending_hash'),
    pendingDefinition: jsonb('pending_definition'),
    firstSeenAt: timestamp('first_seen_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** When the pending definition was first seen. */
    changedAt: timestamp('changed_at', { withTimezone: true, mode: 'date' }),
    approvedAt: timestamp('approved_at', { withTimezone: true, mode: 'date' }),
    /** `first-use` for trust on first use, else who approved (admin API caller's label, `cli:<user>`, `console`). */
    approvedBy: text('approved_by'),
  },
  (t) => [primaryKey({ columns: [t.serverId, t.toolName] })],
);

export type ToolPinRow = typeof toolPins.$inferSelect;
export type NewToolPin = typeof toolPins.$inferInsert;
