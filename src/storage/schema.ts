// The database schema (drizzle); `npm run db:generate` turns changes into migrations in drizzle/.
import { bigint, bigserial, boolean, index, integer, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

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
  },
  (t) => [index('request_log_time_idx').on(t.time), index('request_log_key_time_idx').on(t.keyId, t.time)],
);

export type RequestLogRow = typeof requestLog.$inferInsert;
