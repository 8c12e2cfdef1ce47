// Token and cost estimates for a call, computed once per call and shared by the rate-limit and budget steps, and the output cap they imply.
import type { ProviderKind } from '../config.js';
import type { ChatRequest, EmbeddingsRequest } from '../openai/schemas.js';
import type { PolicyContext } from './engine.js';
import type { TokenCounter } from './tokens.js';

export interface CallEstimate {
  inputTokens: number;
  /** Most output tokens the call may produce, all choices together (0 for embeddings). */
  maxOutputTokens: number;
}

const memo = new WeakMap<PolicyContext, Promise<CallEstimate>>();
/** Per-choice output bound a reservation was sized for; only calls that some budget or token limit estimated have one. */
const caps = new WeakMap<PolicyContext, number>();

function embeddingTokens(req: EmbeddingsRequest): number {
  const items = typeof req.input === 'string' ? [req.input] : req.input;
  let tokens = 0;
  for (const it of items) tokens += typeof it === 'string' ? Math.ceil(it.length / 4) : Array.isArray(it) ? it.length : 1;
  return tokens;
}

export function estimateCall(ctx: PolicyContext, tokens: TokenCounter, defaultMaxOutput: number): Promise<CallEstimate> {
  let e = memo.get(ctx);
  if (!e) {
    e = (async () => {
      if (ctx.door === 'embeddings') return { inputTokens: embeddingTokens(ctx.input as EmbeddingsRequest), maxOutputTokens: 0 };
      const req = ctx.chat;
      if (!req) return { inputTokens: 0, maxOutputTokens: 0 };
      const maxOutputTokens = tokens.worstCaseOutputTokens(req, defaultMaxOutput);
      // Set before the first await: a step that reserved on this estimate has, by then, fixed the cap the upstream must get.
      caps.set(ctx, Math.max(1, Math.floor(maxOutputTokens / (req.n ?? 1))));
      return { inputTokens: await tokens.countInputTokens(req), maxOutputTokens };
    })();
    memo.set(ctx, e);
  }
  return e;
}

/**
 * The input tokens the call's reservations counted, or a count now with the same counter for a call no budget or
 * token limit estimated: what a stream cut before its usage arrived is settled with.
 */
export function estimatedInput(ctx: PolicyContext, tokens: TokenCounter): Promise<number> {
  const e = memo.get(ctx);
  if (e) return e.then((x) => x.inputTokens);
  return ctx.chat ? tokens.countInputTokens(ctx.chat) : Promise.resolve(0);
}

/** The per-choice output tokens the call's reservations assumed; undefined when no budget or token limit counted its output. */
export function reservedOutputCap(ctx: PolicyContext): number | undefined {
  return caps.get(ctx);
}

/**
 * The request with its output bounded by `perChoice`: fields the client set are lowered to it, and when it set none
 * the field the provider kind reads is added (OpenAI and Azure deprecate `max_tokens`; compatible servers know it best).
 */
export function withOutputCap(req: ChatRequest, perChoice: number, kind: ProviderKind): ChatRequest {
  const out: ChatRequest = { ...req };
  let set = false;
  for (const field of ['max_completion_tokens', 'max_tokens'] as const) {
    const v = req[field];
    if (v == null) continue;
    out[field] = Math.min(v, perChoice);
    set = true;
  }
  if (!set) {
    if (kind === 'openai' || kind === 'azure-openai') out.max_completion_tokens = perChoice;
    else out.max_tokens = perChoice;
  }
  return out;
}
