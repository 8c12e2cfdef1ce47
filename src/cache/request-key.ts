// What makes two model calls the same question: the canonical hash of the fields that change the answer, within a scope.
import { createHash } from 'node:crypto';
import type { ChatMessage, ChatRequest } from '../openai/schemas.js';
import type { PiiMode } from '../policy/types.js';
import type { Principal } from '../policy/types.js';
import type { RoutePlan } from '../routing/router.js';
import { canonical } from '../tracing/audit-chain.js';
import type { CacheScope } from './config-schema.js';

/** Request fields that label or bill a call without changing its answer. */
const IGNORED = new Set(['user', 'metadata', 'store', 'safety_identifier', 'prompt_cache_key', 'prompt_cache_retention', 'stream']);

const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

function answerFields(body: unknown): unknown {
  if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(body)) if (!IGNORED.has(k) && v !== undefined) out[k] = v;
  return out;
}

/** The model as routed: an alias with its target set (a config change to the targets starts afresh), else the one target. */
export function routedModel(plan: Pick<RoutePlan, 'alias' | 'candidates'>): string {
  const keys = plan.candidates.map((t) => t.key);
  return plan.alias ? `alias:${plan.alias}=${[...keys].sort().join(',')}` : (keys[0] ?? '');
}

/**
 * Who may read an entry. A key in PII `block` mode keeps its entries to itself whatever the config says, and the PII mode
 * is part of the scope, so an answer redacted for one key is never served unredacted (or the reverse) to another.
 */
export function scopeOf(principal: Principal, configured: CacheScope, pii: PiiMode): string {
  const scope = pii === 'block' ? 'key' : configured;
  if (scope === 'global') return `global|pii:${pii}`;
  if (scope === 'team' && principal.teamId) return `team:${principal.teamId}|pii:${pii}`;
  return `key:${principal.keyId ?? '-'}|pii:${pii}`;
}

/** Sampled requests give a different answer each time: only greedy ones are cached unless the config says otherwise. */
export function deterministic(chat: ChatRequest | undefined): boolean {
  if (!chat) return true; // embeddings
  return chat.temperature === 0 || chat.top_p === 0;
}

export interface KeyParts {
  door: string;
  routed: string;
  stream: boolean;
  scope: string;
  body: unknown;
}

/** The exact entry's key: a sha256 over the canonical JSON of the parts (object member order never matters). */
export function exactKey(p: KeyParts): string {
  return sha256(canonical({ v: 1, door: p.door, routed: p.routed, stream: p.stream, scope: p.scope, body: answerFields(p.body) }));
}

function textOf(m: ChatMessage): string | null {
  const c = (m as { content?: unknown }).content;
  if (typeof c === 'string') return c;
  if (!Array.isArray(c)) return null;
  const texts: string[] = [];
  for (const part of c) {
    if (!part || typeof part !== 'object') continue;
    const p = part as { type?: unknown; text?: unknown };
    if (p.type !== 'text' || typeof p.text !== 'string') return null; // an image or file turn is not matched by meaning
    texts.push(p.text);
  }
  return texts.join('\n');
}

/**
 * The final user turn's text and a hash of everything else (model as routed, earlier turns, tools, sampling, stream,
 * scope): a semantic neighbour must agree exactly on the context and be close only in the question. Null when the
 * last message is not a user's text.
 */
export function finalTurn(chat: ChatRequest, parts: Omit<KeyParts, 'body'>): { text: string; contextHash: string } | null {
  const last = chat.messages[chat.messages.length - 1];
  if (!last || last.role !== 'user') return null;
  const text = textOf(last);
  if (text === null || !text.trim()) return null;
  const context = { ...(answerFields(chat) as Record<string, unknown>), messages: chat.messages.slice(0, -1) };
  return { text, contextHash: exactKey({ ...parts, body: context }) };
}
