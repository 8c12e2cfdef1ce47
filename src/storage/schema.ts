// The database schema (drizzle); `npm run db:generate` turns changes into migrations in drizzle/.
import { sql } from 'drizzle-orm';
import { bigint, bigserial, boolean, doublePrecision, index, integer, jsonb, pgTable, primaryKey, text, timestamp } from 'drizzle-orm/pg-core';

// The audit trail's tables live beside this file; drizzle-kit and the query builder read them through this module.
export * from './schema-audit.js';
export * from './schema-cache.js';
export * from './schema-tool-pins.js';
export * from './schema-mcp-sessions.js';

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
    /** The response cache's verdict: `hit`, `miss` or `bypass`; null when no cache applied. */
    cache: text('cache'),
    /** A semantic hit's cosine similarity. */
    cacheSimilarity: doublePrecision('cache_similarity'),
    /** A hit's avoided cost in micro-dollars: what the cached answer cost when it was made. */
    savedCostMicros: bigint('saved_cost_micros', { mode: 'number' }),
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


/** Items a batched writer could not store even after sanitising (request-log rows, audit events), kept for review instead of blocking the writer. */
export const deadLetters = pgTable(
  'dead_letters',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    time: timestamp('time', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    /** `request_log`, `audit` or `budget_spend`. */
    writer: text('writer').notNull(),
    /** The database's reason for refusing the item. */
    reason: text('reason').notNull(),
    /** The item as JSON text (escaped, so always storable), cut at 1 MiB. */
    item: text('item').notNull(),
    bytes: integer('bytes').notNull(),
  },
  (t) => [index('dead_letters_time_idx').on(t.time)],
);

export type DeadLetterRow = typeof deadLetters.$inferSelect;

/**
 * The spend ledger (src/policy/spend-ledger.ts): settled budget spend per scope (`key:k1`, `team:t1`, `session:…`) and
 * period window (`total`, `d2025-01-31`, `m2025-01`), added to in batches; budget counters are rebuilt from it.
 */
export const budgetSpend = pgTable(
  'budget_spend',
  {
    scope: text('scope').notNull(),
    windowId: text('window_id').notNull(),
    /** `daily`, `monthly` or `total`: which period the window belongs to (the window id says it too; kept for queries). */
    period: text('period').notNull(),
    spentMicros: bigint('spent_micros', { mode: 'number' }).notNull().default(0),
    updatedAt: timestamp('updated_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
  },
  (t) => [primaryKey({ columns: [t.scope, t.windowId] })],
);

export type BudgetSpendRow = typeof budgetSpend.$inferSelect;

/**
 * Responses the gateway stored for its Responses door (`store`, default true as at OpenAI): read back by id and chained by
 * `previous_response_id`, only by the key that made them (`key_id` '' when the gateway runs open). Each row keeps the
 * request's own input items, not its chain's, and the response as returned; `bytes` bounds what expanding a chain loads.
 */
export const storedResponses = pgTable(
  'responses',
  {
    id: text('id').primaryKey(),
    keyId: text('key_id').notNull().default(''),
    sessionId: text('session_id'),
    previousResponseId: text('previous_response_id'),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    model: text('model').notNull(),
    status: text('status').notNull(),
    instructions: text('instructions'),
    /** The request's own input items (a string input stored as one user message). */
    input: jsonb('input').notNull(),
    /** The response object as the client got it. */
    response: jsonb('response').notNull(),
    usage: jsonb('usage'),
    /** Serialised size of input and response, as stored. */
    bytes: integer('bytes').notNull(),
    /** Something was cut to fit the size bound: the row can be read back but not continued from. */
    truncated: boolean('truncated').notNull().default(false),
    /** Ids of the output items, so an `item_reference` in a later request (the AI SDK sends them) finds its item. */
    itemIds: text('item_ids').array().notNull().default(sql`'{}'::text[]`),
  },
  (t) => [index('responses_key_created_idx').on(t.keyId, t.createdAt), index('responses_item_ids_idx').using('gin', t.itemIds)],
);

export type StoredResponseRow = typeof storedResponses.$inferSelect;
