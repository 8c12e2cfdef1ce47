// The response cache over a store and an optional semantic index: which calls it applies to, lookups, and storing answers.
import type { ChatRequest } from '../openai/schemas.js';
import type { Logger } from '../log.js';
import type { PiiMode, Principal } from '../policy/types.js';
import { compilePatterns } from '../policy/patterns.js';
import type { RoutePlan } from '../routing/router.js';
import type { CacheConfig } from './config-schema.js';
import { deterministic, exactKey, finalTurn, routedModel, scopeOf } from './request-key.js';
import type { CacheMark, CacheStore, SemanticIndex, SemanticScope } from './types.js';

/** What the client asked of the cache in headers (`cache-control`, `x-gateway-cache-ttl`). */
export interface CacheDirectives {
  /** `no-cache`: answer from the upstream, then store the fresh answer. */
  refresh?: boolean;
  /** `no-store`: neither read nor write. */
  noStore?: boolean;
  ttlMs?: number;
}

/** A stored answer: the door's response (or its stream's events) as the client got it, after output redaction. */
export interface CachedAnswer {
  v: 1;
  body?: unknown;
  events?: unknown[];
  usage?: { inputTokens: number; outputTokens: number };
  servedModel?: string;
  provider: string;
  model: string;
  /** What the answer cost when it was made: a hit's saved cost. */
  costMicros: number | null;
  createdAt: number;
}

/** One call's cache plan, made after admission: its verdict so far, and what to look up and store. */
export interface CallCache {
  mark: CacheMark;
  key: string;
  ttlMs: number;
  /** Answers larger than this are not stored. */
  maxBytes: number;
  lookup: boolean;
  store: boolean;
  semantic?: { where: SemanticScope; text: string; threshold: number; vector?: number[] | null };
}

export interface CallCacheInput {
  door: string;
  model: string;
  req: unknown;
  chat: ChatRequest | undefined;
  plan: Pick<RoutePlan, 'alias' | 'candidates'>;
  stream: boolean;
  principal: Principal;
  /** The caller's PII mode, asked only when a cache applies (most calls never need it). */
  pii: () => PiiMode;
  directives: CacheDirectives | undefined;
}

export interface ResponseCache {
  readonly store: CacheStore;
  /** Null when no cache applies to this model (no header, no trail mark); `config` is the call's runtime snapshot's. */
  plan(config: CacheConfig, input: CallCacheInput): CallCache | null;
  /** A stored answer for the call, or null; sets the call's mark to hit or miss. `exact` is the exact entry's read, if already started. */
  lookup(cc: CallCache, signal: AbortSignal, exact?: Promise<string | null> | null): Promise<CachedAnswer | null>;
  /** Stores an answer off the response path (a failure is logged by the store, never raised). */
  save(cc: CallCache, answer: Omit<CachedAnswer, 'v' | 'createdAt'>): void;
  close(): Promise<void>;
}

export interface ResponseCacheDeps {
  store: CacheStore;
  semantic: SemanticIndex | null;
  /** Embeds one text with `<provider>/<model>`; null when the embedding failed (the call goes on as an exact miss). */
  embed(model: string, text: string, signal: AbortSignal): Promise<number[] | null>;
  log: Logger;
}

export function createResponseCache(d: ResponseCacheDeps): ResponseCache {
  // Compiled once per config snapshot: a reload brings a new object.
  const compiled = new WeakMap<CacheConfig, Array<CacheConfig['models'][number] & { match: (m: string) => boolean }>>();
  const ruleFor = (config: CacheConfig, model: string) => {
    let rules = compiled.get(config);
    if (!rules) compiled.set(config, (rules = config.models.map((m) => ({ ...m, match: compilePatterns([m.model]) }))));
    return rules.find((r) => r.match(model));
  };
  return {
    store: d.store,
    plan(config, i) {
      const rule = ruleFor(config, i.model);
      if (!(rule?.enabled ?? (config.enabled || !!rule))) return null;
      const parts = { door: i.door, routed: routedModel(i.plan), stream: i.stream, scope: scopeOf(i.principal, rule?.scope ?? config.scope, i.pii()) };
      const ttlMs = Math.min(i.directives?.ttlMs ?? rule?.ttlMs ?? config.ttlMs, config.maxTtlMs);
      const cc: CallCache = { mark: { status: 'miss' }, key: exactKey({ ...parts, body: i.req }), ttlMs, maxBytes: config.maxEntryBytes, lookup: true, store: true };
      const sampled = !deterministic(i.chat) && !(rule?.nonDeterministic ?? config.nonDeterministic);
      if (i.directives?.noStore || sampled) return { ...cc, mark: { status: 'bypass' }, lookup: false, store: false };
      if (i.directives?.refresh) return { ...cc, mark: { status: 'bypass' }, lookup: false };
      if (rule?.semantic && d.semantic && i.chat) {
        const turn = finalTurn(i.chat, parts);
        if (turn) cc.semantic = { where: { scope: parts.scope, contextHash: turn.contextHash, embeddingModel: rule.semantic.embeddingModel }, text: turn.text, threshold: rule.semantic.threshold };
      }
      return cc;
    },
    async lookup(cc, signal, started) {
      if (!cc.lookup) return null;
      const exact = parse(await (started ?? d.store.get(cc.key)));
      if (exact) {
        cc.mark = { status: 'hit', kind: 'exact', savedCostMicros: exact.costMicros };
        return exact;
      }
      const s = cc.semantic;
      if (s && d.semantic) {
        s.vector = await d.embed(s.where.embeddingModel, s.text, signal);
        const near = s.vector ? await d.semantic.nearest(s.where, s.vector, s.threshold) : null;
        const answer = near ? parse(await d.store.get(near.entryKey)) : null;
        if (near && answer) {
          cc.mark = { status: 'hit', kind: 'semantic', similarity: near.similarity, savedCostMicros: answer.costMicros };
          return answer;
        }
      }
      cc.mark = { status: 'miss' };
      return null;
    },
    save(cc, answer) {
      if (!cc.store) return;
      const text = JSON.stringify({ v: 1, createdAt: Date.now(), ...answer } satisfies CachedAnswer);
      if (Buffer.byteLength(text) > cc.maxBytes) return;
      const s = cc.semantic;
      void d.store.set(cc.key, text, cc.ttlMs).then(() => {
        if (s?.vector && d.semantic) return d.semantic.add(s.where, s.vector, cc.key, new Date(Date.now() + cc.ttlMs));
      });
    },
    close: () => d.store.close(),
  };
}

function parse(text: string | null): CachedAnswer | null {
  if (!text) return null;
  try {
    const a = JSON.parse(text) as CachedAnswer;
    return a && a.v === 1 ? a : null;
  } catch {
    return null;
  }
}
