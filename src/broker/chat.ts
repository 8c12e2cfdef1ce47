// runChat and runEmbeddings: resolve the model, call the provider, and record one request-log row per call.
import type { Deps } from '../deps.js';
import { asGatewayError } from '../errors.js';
import type { ChatRequest, EmbeddingsRequest } from '../openai/schemas.js';
import type { ChatCompletion, ChatCompletionChunk, EmbeddingsResponse, Usage } from '../openai/types.js';
import type { ResolvedModel } from '../routing/resolve.js';
import type { RequestLogRow } from '../storage/schema.js';

export interface CallContext {
  requestId: string;
  sessionId: string;
  keyId: string | null;
  /** Aborted when the client goes away. */
  signal: AbortSignal;
  startedAt: number;
}

export interface ChatStreamResult {
  resolved: ResolvedModel;
  chunks: AsyncIterable<ChatCompletionChunk>;
}

function logRow(ctx: CallContext, endpoint: string, requested: string, stream: boolean): Omit<RequestLogRow, 'status' | 'latencyMs'> {
  return {
    time: new Date(),
    requestId: ctx.requestId,
    sessionId: ctx.sessionId,
    keyId: ctx.keyId,
    endpoint,
    modelRequested: requested,
    stream,
  };
}

function finish(deps: Deps, ctx: CallContext, row: Omit<RequestLogRow, 'status' | 'latencyMs'>, r: ResolvedModel | null, outcome: { status: number; errorCode?: string; usage?: Pick<Usage, 'prompt_tokens' | 'completion_tokens'> | undefined; servedModel?: string }): void {
  const u = outcome.usage;
  const cached = (u as Usage | undefined)?.prompt_tokens_details?.cached_tokens;
  const costMicros =
    r && u ? deps.prices.cost(r.provider.id, r.model, { inputTokens: u.prompt_tokens, outputTokens: u.completion_tokens, cacheReadTokens: cached }) : null;
  deps.requestLog.write({
    ...row,
    provider: r?.provider.id ?? null,
    modelServed: outcome.servedModel ?? (r ? r.model : null),
    costMicros,
    status: outcome.status,
    errorCode: outcome.errorCode ?? null,
    inputTokens: outcome.usage?.prompt_tokens ?? null,
    outputTokens: outcome.usage?.completion_tokens ?? null,
    latencyMs: Math.round(performance.now() - ctx.startedAt),
  });
}

export async function runChat(deps: Deps, ctx: CallContext, req: ChatRequest): Promise<ChatCompletion> {
  const row = logRow(ctx, 'chat.completions', req.model, false);
  let resolved: ResolvedModel | null = null;
  try {
    resolved = deps.resolver.resolve(req.model);
    const res = await resolved.provider.chat(req, { model: resolved.model, signal: ctx.signal, requestId: ctx.requestId });
    finish(deps, ctx, row, resolved, { status: 200, usage: res.usage, servedModel: res.model });
    return res;
  } catch (err) {
    const e = asGatewayError(err);
    finish(deps, ctx, row, resolved, { status: e.status, errorCode: e.code });
    throw e;
  }
}

export async function runChatStream(deps: Deps, ctx: CallContext, req: ChatRequest): Promise<ChatStreamResult> {
  const row = logRow(ctx, 'chat.completions', req.model, true);
  let resolved: ResolvedModel | null = null;
  let upstream: AsyncIterable<ChatCompletionChunk>;
  try {
    resolved = deps.resolver.resolve(req.model);
    upstream = await resolved.provider.chatStream(req, { model: resolved.model, signal: ctx.signal, requestId: ctx.requestId });
  } catch (err) {
    const e = asGatewayError(err);
    finish(deps, ctx, row, resolved, { status: e.status, errorCode: e.code });
    throw e;
  }
  const r = resolved;
  async function* metered(): AsyncGenerator<ChatCompletionChunk> {
    let usage: Usage | undefined;
    let served: string | undefined;
    let errorCode: string | undefined;
    try {
      for await (const chunk of upstream) {
        if (chunk.usage) usage = chunk.usage;
        served ??= chunk.model || undefined;
        yield chunk;
      }
    } catch (err) {
      errorCode = asGatewayError(err).code;
      throw err;
    } finally {
      // Reached on completion, on an upstream error and when the client disconnects (return()).
      if (!errorCode && !usage) errorCode = ctx.signal.aborted ? 'client_closed' : undefined;
      finish(deps, ctx, row, r, { status: 200, errorCode, usage, servedModel: served });
    }
  }
  return { resolved: r, chunks: metered() };
}

export async function runEmbeddings(deps: Deps, ctx: CallContext, req: EmbeddingsRequest): Promise<EmbeddingsResponse> {
  const row = logRow(ctx, 'embeddings', req.model, false);
  let resolved: ResolvedModel | null = null;
  try {
    resolved = deps.resolver.resolve(req.model);
    const res = await resolved.provider.embeddings(req, { model: resolved.model, signal: ctx.signal, requestId: ctx.requestId });
    finish(deps, ctx, row, resolved, {
      status: 200,
      usage: { prompt_tokens: res.usage?.prompt_tokens ?? 0, completion_tokens: 0 },
      servedModel: res.model,
    });
    return res;
  } catch (err) {
    const e = asGatewayError(err);
    finish(deps, ctx, row, resolved, { status: e.status, errorCode: e.code });
    throw e;
  }
}

