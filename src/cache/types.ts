// The response cache's shared shapes: where an entry lives (store), how it is found by meaning (semantic index), what a lookup says.

/** Exact-match entry storage: Redis when REDIS_URL is set, else an in-process LRU bounded in bytes. */
export interface CacheStore {
  readonly kind: 'redis' | 'memory';
  /** The entry's text, or null on a miss, an expired entry or a store error (a cache never fails a call). */
  get(key: string): Promise<string | null>;
  set(key: string, value: string, ttlMs: number): Promise<void>;
  /** Live entries and their bytes, for /metrics. */
  stats(): Promise<{ entries: number; bytes: number }>;
  close(): Promise<void>;
}

/** Where a semantic neighbour is searched: only rows with the same scope, context and embedding model compete. */
export interface SemanticScope {
  /** `key:<id>`, `team:<id>` or `global`. */
  scope: string;
  /** A hash of everything but the final user turn (model as routed, other messages, tools, sampling, stream). */
  contextHash: string;
  /** The embedding model the vector came from (`<provider>/<model>`): vectors of different models never meet. */
  embeddingModel: string;
}

export interface SemanticMatch {
  /** The exact store's key of the neighbour's entry. */
  entryKey: string;
  /** Cosine similarity in [-1, 1]. */
  similarity: number;
}

/** Nearest-neighbour search over embedded final user turns, in the database (pgvector when present, else a bounded scan). */
export interface SemanticIndex {
  /** `pgvector` when the database computes distances, `scan` when the gateway does over at most `maxCandidates` rows. */
  readonly method: 'pgvector' | 'scan';
  nearest(where: SemanticScope, vector: number[], minSimilarity: number): Promise<SemanticMatch | null>;
  add(where: SemanticScope, vector: number[], entryKey: string, expiresAt: Date): Promise<void>;
  /** Deletes expired rows; returns how many. */
  prune(now?: Date): Promise<number>;
}

export type { CacheMark } from '../tracing/call-record.js';
