// The database schema (drizzle); `npm run db:generate` turns changes into migrations in drizzle/.
import { bigint, bigserial, boolean, index, integer, jsonb, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** One row per model call: what was asked, what served it, how it went, what it cost. */
export const requestLog = pgTable(
  'request_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    time: timestamp('time', { withTimezone: true, mode: 'date' }).notNull(),
    requestId: text('request_id').notNull(),
    sessionId: text('session_id'),
    keyId: text('key_id'),
    endpoint: text('endpoint').notNull(),
    modelRequested: text('model_requested'),
    modelServed: text('model_served'),
    provider: text('provider'),
    stream: boolean('stream').notNull().default(false),
    status: integer('status').notNull(),
    errorCode: text('error_code'),
    inputTokens: integer('input_tokens'),
    outputTokens: integer('output_tokens'),
    latencyMs: integer('latency_ms').notNull(),
    /** Cost in integer micro-dollars; null when the price is not known. */
    costMicros: bigint('cost_micros', { mode: 'number' }),
    /** Upstream attempts made (fallbacks, retries, hedges); null for rows written before routing existed. */
    attempts: integer('attempts'),
    /** Why the call went where it went: alias, rule, strategy and each attempt's outcome. */
    routeReason: text('route_reason'),
  },
  (t) => [index('request_log_time_idx').on(t.time), index('request_log_key_time_idx').on(t.keyId, t.time)],
);

export type RequestLogRow = typeof requestLog.$inferInsert;

/** A team groups keys and carries rules every one of its keys must also pass. */
export const teams = pgTable('teams', {
  id: text('id').primaryKey(),
  name: text('name').notNull(),
  /** AccessPolicy (src/policy/types.ts) as JSON. */
  policy: jsonb('policy').notNull(),
  metadata: jsonb('metadata').notNull().default({}),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
});

/** Virtual keys: only the sha256 hash of the key is stored; the key itself is shown once. */
export const virtualKeys = pgTable(
  'virtual_keys',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    teamId: text('team_id').references(() => teams.id),
    keyHash: text('key_hash').notNull().unique(),
    /** The first characters of the key, so people can tell keys apart in lists. */
    keyPrefix: text('key_prefix').notNull(),
    policy: jsonb('policy').notNull(),
    metadata: jsonb('metadata').notNull().default({}),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }),
    revokedAt: timestamp('revoked_at', { withTimezone: true, mode: 'date' }),
    /** Set on the old key when it was replaced by a rotation. */
    rotatedTo: text('rotated_to'),
  },
  (t) => [index('virtual_keys_team_idx').on(t.teamId)],
);

export type TeamRow = typeof teams.$inferSelect;
export type VirtualKeyRow = typeof virtualKeys.$inferSelect;
