// Conditional alias rules: match a request on estimated input tokens, tools, images, a route tag, team or key.
import type { ChatRequest } from '../openai/schemas.js';
import { estimatePromptTokens } from '../providers/estimate.js';
import type { AliasRule } from './schema.js';

export interface RouteInput {
  keyId: string | null;
  team: string | null;
  /** `x-route-tag` header, else `metadata.route_tag`. */
  tag: string | null;
  /** The chat request (absent for embeddings, where only tag/team/key rules can match). */
  chat?: ChatRequest;
}

/** Per-request memo so several rules do not re-estimate tokens. */
interface Facts {
  tokens: number;
}

function hasImages(req: ChatRequest): boolean {
  for (const m of req.messages) {
    if (!Array.isArray(m.content)) continue;
    for (const p of m.content) if (p.type === 'image_url') return true;
  }
  return false;
}

function matches(rule: AliasRule, input: RouteInput, facts: Facts): boolean {
  const w = rule.when;
  const chat = input.chat;
  if (w.minInputTokens !== undefined || w.maxInputTokens !== undefined) {
    if (!chat) return false;
    if (facts.tokens < 0) facts.tokens = estimatePromptTokens(chat);
    if (w.minInputTokens !== undefined && facts.tokens < w.minInputTokens) return false;
    if (w.maxInputTokens !== undefined && facts.tokens > w.maxInputTokens) return false;
  }
  if (w.tools !== undefined && (chat?.tools?.length ?? 0) > 0 !== w.tools) return false;
  if (w.images !== undefined && (chat ? hasImages(chat) : false) !== w.images) return false;
  if (w.tag && (input.tag === null || !w.tag.includes(input.tag))) return false;
  if (w.team && (input.team === null || !w.team.includes(input.team))) return false;
  if (w.key && (input.keyId === null || !w.key.includes(input.keyId))) return false;
  return true;
}

/** Index of the first matching rule, or -1. */
export function matchRule(rules: readonly AliasRule[], input: RouteInput): number {
  if (rules.length === 0) return -1;
  const facts: Facts = { tokens: -1 };
  for (let i = 0; i < rules.length; i++) if (matches(rules[i]!, input, facts)) return i;
  return -1;
}

export function routeTag(header: string | undefined | null, chat: ChatRequest | undefined): string | null {
  return header ?? chat?.metadata?.route_tag ?? null;
}
