// The response cache's table: embedded final user turns the semantic cache searches (src/cache/semantic-index.ts).
import { bigserial, index, integer, pgTable, real, text, timestamp } from 'drizzle-orm/pg-core';

/**
 * One row per semantically cached answer: its vector and the exact store's key of the answer. Vectors are `real[]`, never
 * pgvector's `vector`, so the one schema works on servers without the extension; with it, queries cast `embedding::vector`.
 */
export const cacheSemantic = pgTable(
  'cache_semantic',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** `key:<id>`, `team:<id>` or `global`. */
    scope: text('scope').notNull(),
    /** Hash of everything but the final user turn: only rows with the same context compete. */
    contextHash: text('context_hash').notNull(),
    /** `<provider>/<model>` that made the vector. */
    embeddingModel: text('embedding_model').notNull(),
    embedding: real('embedding').array().notNull(),
    /** The vector's length: a query skips rows of another length (pgvector refuses to compare them). */
    dims: integer('dims').notNull(),
    entryKey: text('entry_key').notNull(),
    createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull().defaultNow(),
    expiresAt: timestamp('expires_at', { withTimezone: true, mode: 'date' }).notNull(),
  },
  (t) => [
    index('cache_semantic_group_idx').on(t.scope, t.contextHash, t.embeddingModel, t.createdAt.desc()),
    index('cache_semantic_expires_idx').on(t.expiresAt),
  ],
);

export type CacheSemanticRow = typeof cacheSemantic.$inferSelect;
