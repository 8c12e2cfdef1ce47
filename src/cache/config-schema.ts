// The `cache:` section: exact and semantic response caching per model or alias, and opt-in tool-result caching.
import { z } from 'zod';

const ttl = z.number().int().min(1_000).max(30 * 86_400_000);
const Scope = z.enum(['key', 'team', 'global']);

/** Overrides for the models (aliases or `<provider>/<model>`) a pattern matches; the first matching entry wins. */
const ModelCacheSchema = z
  .object({
    /** A glob over the model as the client named it (`gpt-4o*`, `openai/*`, an alias). */
    model: z.string().min(1),
    enabled: z.boolean().optional(),
    ttlMs: ttl.optional(),
    scope: Scope.optional(),
    nonDeterministic: z.boolean().optional(),
    /** Opt-in semantic matching for these models: the final user turn embedded, the rest of the context matched exactly. */
    semantic: z
      .object({
        /** `<provider>/<model>` of an embeddings model on any configured provider. */
        embeddingModel: z.string().regex(/^[^/]+\/.+$/, 'must be "<provider>/<model>"'),
        /** Cosine similarity a neighbour needs to count as the same question. */
        threshold: z.number().min(0.5).max(1).default(0.95),
      })
      .strict()
      .optional(),
  })
  .strict();

const ToolCacheSchema = z
  .object({
    /** Upstream MCP server id, or a glob. */
    server: z.string().min(1).default('*'),
    /** The upstream's tool name, or a glob. */
    tool: z.string().min(1).default('*'),
    ttlMs: ttl,
  })
  .strict();

export const CacheConfigSchema = z
  .object({
    /** Exact-match caching of model answers for every model, unless a `models` entry says otherwise. */
    enabled: z.boolean().default(false),
    /** How long an entry lives unless a `models` entry or `x-gateway-cache-ttl` says otherwise. */
    ttlMs: ttl.default(3_600_000),
    /** The longest TTL a client may ask for with `x-gateway-cache-ttl`. */
    maxTtlMs: ttl.default(86_400_000),
    /** Who may read an entry: the key that made it (default), its team, or every key. */
    scope: Scope.default('key'),
    /** Cache answers to sampled requests (temperature unset or > 0, top_p < 1). Off: only deterministic requests are cached. */
    nonDeterministic: z.boolean().default(false),
    /** Answers larger than this are not stored. */
    maxEntryBytes: z.number().int().min(1_024).max(64 * 1024 * 1024).default(1024 * 1024),
    /** The in-process store's bound, used without REDIS_URL (least recently used entries go first). */
    memoryMaxBytes: z.number().int().min(64 * 1024).default(64 * 1024 * 1024),
    /** How many stored neighbours a semantic lookup compares when the database has no pgvector. */
    semanticMaxCandidates: z.number().int().min(10).max(2_000).default(500),
    models: z.array(ModelCacheSchema).default([]),
    /** Opt-in tool-result caching; only tools the upstream annotates `readOnlyHint` or `idempotentHint` are cached. */
    tools: z.array(ToolCacheSchema).default([]),
  })
  .strict();

export type CacheConfig = z.infer<typeof CacheConfigSchema>;
export type CacheScope = z.infer<typeof Scope>;
