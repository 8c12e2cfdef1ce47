// The semantic cache's nearest-neighbour index in the database: pgvector computes distances where the server has it, else the gateway scans a bounded candidate set.
import type { Logger } from '../log.js';
import type { Db } from '../storage/db.js';
import { semanticRepo, type SemanticGroup } from '../storage/semantic-repo.js';
import type { SemanticIndex, SemanticMatch, SemanticScope } from './types.js';

/** Larger than any embedding model in use (3,072 for text-embedding-3-large), small enough to bound a row and a query. */
export const MAX_SEMANTIC_DIMS = 4096;
/** Scope, context hash, model name and entry key are gateway-made labels; anything longer is not one of ours. */
const MAX_LABEL = 1024;
const PRUNE_BATCH = 1000;
/** Groups whose adds are counted for trimming; the oldest count is forgotten past this (its group is trimmed a little later). */
const MAX_TRACKED_GROUPS = 10_000;

export interface SemanticIndexDeps {
  db: Db;
  logger: Logger;
  /** Rows a lookup compares, newest first (default 500); a group is trimmed back to this many every this many adds. */
  maxCandidates?: number;
  /** `scan` skips pgvector even where the server has it (tests and benchmarks compare the two). */
  method?: 'auto' | 'scan';
  now?: () => Date;
}

function validVector(v: unknown): v is number[] {
  if (!Array.isArray(v) || v.length === 0 || v.length > MAX_SEMANTIC_DIMS) return false;
  let sum = 0;
  for (const x of v) {
    if (typeof x !== 'number' || !Number.isFinite(x)) return false;
    sum += x * x;
  }
  // Cosine similarity has no meaning for a zero vector (pgvector answers NaN).
  return sum > 0 && Number.isFinite(sum);
}

const validLabel = (s: unknown): boolean => typeof s === 'string' && s.length > 0 && s.length <= MAX_LABEL && !s.includes('\0');
const validScope = (w: SemanticScope): boolean => validLabel(w.scope) && validLabel(w.contextHash) && validLabel(w.embeddingModel);
const groupOf = (w: SemanticScope): SemanticGroup => ({ scope: w.scope, contextHash: w.contextHash, embeddingModel: w.embeddingModel });
const clamp = (s: number): number => Math.max(-1, Math.min(1, s));

/** Cosine similarity of `v` with the query (its norm given); null when the lengths differ or `v` is not a usable vector. */
export function cosineWith(query: number[], queryNorm: number, v: ArrayLike<number>): number | null {
  if (v.length !== query.length) return null;
  let dot = 0;
  let norm = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i] as number;
    dot += x * (query[i] as number);
    norm += x * x;
  }
  const s = dot / (queryNorm * Math.sqrt(norm));
  return Number.isFinite(s) ? clamp(s) : null;
}

/** Detects pgvector once at start (creating the extension where allowed); the method then holds for the index's life. */
export async function createSemanticIndex(deps: SemanticIndexDeps): Promise<SemanticIndex> {
  const repo = semanticRepo(deps.db);
  const maxCandidates = Math.max(1, Math.floor(deps.maxCandidates ?? 500));
  const now = deps.now ?? (() => new Date());
  const logged = new Set<string>();
  const addsSinceTrim = new Map<string, number>();

  // Once per kind of failure: a database that is down would otherwise log on every call.
  const fail = (op: string, err: unknown): void => {
    const code = String((err as { code?: unknown } | null)?.code ?? 'error');
    if (logged.has(`${op}:${code}`)) return;
    logged.add(`${op}:${code}`);
    // Driver messages may quote a parameter: cut short, and never the vector or labels on purpose.
    const message = String((err as Error | null)?.message ?? err).slice(0, 200);
    deps.logger.warn({ op, code, err: message }, 'semantic cache index: database call failed (the cache carries on without it)');
  };

  let method: SemanticIndex['method'] = 'scan';
  if (deps.method !== 'scan') {
    try {
      const found = await repo.detectPgvector();
      if (found.ok) method = 'pgvector';
      else deps.logger.info({ reason: found.reason }, 'semantic cache index: scanning candidates in the gateway (no pgvector)');
    } catch (err) {
      fail('detect', err);
    }
  }

  async function nearestScan(group: SemanticGroup, vector: number[]): Promise<SemanticMatch | null> {
    const queryNorm = Math.hypot(...vector);
    let best: SemanticMatch | null = null;
    // Newest first with a strict comparison: among equals the newest entry wins, as with pgvector.
    for (const c of await repo.candidates(group, vector.length, now(), maxCandidates)) {
      const similarity = cosineWith(vector, queryNorm, c.embedding);
      if (similarity !== null && (best === null || similarity > best.similarity)) best = { entryKey: c.entryKey, similarity };
    }
    return best;
  }

  async function nearestPgvector(group: SemanticGroup, vector: number[]): Promise<SemanticMatch | null> {
    const row = await repo.nearestByPgvector(group, vector, now(), maxCandidates);
    if (!row || !Number.isFinite(row.distance)) return null;
    return { entryKey: row.entryKey, similarity: clamp(1 - row.distance) };
  }

  async function countAdd(group: SemanticGroup): Promise<void> {
    const key = JSON.stringify([group.scope, group.contextHash, group.embeddingModel]);
    const n = (addsSinceTrim.get(key) ?? 0) + 1;
    addsSinceTrim.delete(key);
    if (n < maxCandidates) {
      addsSinceTrim.set(key, n);
      if (addsSinceTrim.size > MAX_TRACKED_GROUPS) addsSinceTrim.delete(addsSinceTrim.keys().next().value as string);
      return;
    }
    // Every maxCandidates adds (per process) the group goes back to its newest maxCandidates: at most about twice that between trims.
    await repo.trimGroup(group, maxCandidates);
  }

  return {
    method,

    async nearest(where, vector, minSimilarity) {
      if (!validScope(where) || !validVector(vector) || !Number.isFinite(minSimilarity)) return null;
      try {
        const best = method === 'pgvector' ? await nearestPgvector(groupOf(where), vector) : await nearestScan(groupOf(where), vector);
        return best && best.similarity >= minSimilarity ? best : null;
      } catch (err) {
        fail('nearest', err);
        return null;
      }
    },

    async add(where, vector, entryKey, expiresAt) {
      if (!validScope(where) || !validVector(vector) || !validLabel(entryKey) || !(expiresAt instanceof Date) || !Number.isFinite(expiresAt.getTime())) return;
      try {
        await repo.insert(groupOf(where), vector, entryKey, expiresAt);
        await countAdd(groupOf(where));
      } catch (err) {
        fail('add', err);
      }
    },

    async prune(at) {
      const when = at ?? now();
      let total = 0;
      try {
        for (let n = PRUNE_BATCH; n === PRUNE_BATCH; total += n) n = await repo.pruneBatch(when, PRUNE_BATCH);
      } catch (err) {
        fail('prune', err);
      }
      return total;
    },
  };
}
