// Token and cost estimates for a call, computed once per call and shared by the rate-limit and budget steps.
import type { ChatRequest, EmbeddingsRequest } from '../openai/schemas.js';
import type { PolicyContext } from './engine.js';
import type { TokenCounter } from './tokens.js';

export interface CallEstimate {
  inputTokens: number;
  /** Most output tokens the call may produce (0 for embeddings). */
  maxOutputTokens: number;
}

const memo = new WeakMap<PolicyContext, Promise<CallEstimate>>();

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
      if (ctx.door !== 'chat') return { inputTokens: 0, maxOutputTokens: 0 };
      const req = ctx.input as ChatRequest;
      return { inputTokens: await tokens.countInputTokens(req), maxOutputTokens: tokens.worstCaseOutputTokens(req, defaultMaxOutput) };
    })();
    memo.set(ctx, e);
  }
  return e;
}
