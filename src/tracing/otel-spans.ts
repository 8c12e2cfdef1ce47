// The spans deep code starts: provider call attempts, upstream MCP calls and policy steps (each returns null when tracing is off).
import { context, SpanKind, type Span } from '@opentelemetry/api';
import { CORE, type TracingCore } from './otel-core.js';
import { errorType, markError, startSpan } from './otel.js';
import * as sc from './semconv.js';

/** One provider call attempt (CLIENT): `chat {model}` / `embeddings {model}`. */
export interface AttemptSpan {
  /** Runs fn with this span active, so the upstream request carries its traceparent. */
  run<T>(fn: () => T): T;
  streaming(): void;
  /** Reads model, id, finish reasons and usage from an OpenAI-shaped response or chunk. */
  observe(value: unknown): void;
  fail(err: unknown): void;
  end(): void;
}

export interface AttemptInfo {
  operation: sc.GenAiOperation;
  providerId: string;
  providerKind: string;
  model: string;
  hedge: boolean;
}

export function startAttemptSpan(a: AttemptInfo): AttemptSpan | null {
  const s = startSpan(`${a.operation} ${a.model}`, SpanKind.CLIENT, {
    [sc.GEN_AI_OPERATION_NAME]: a.operation,
    [sc.GEN_AI_PROVIDER_NAME]: sc.PROVIDER_NAMES[a.providerKind] ?? a.providerKind,
    [sc.GEN_AI_REQUEST_MODEL]: a.model,
    [sc.GW_PROVIDER_ID]: a.providerId,
    ...(a.hedge ? { [sc.GW_ATTEMPT_HEDGE]: true } : {}),
  });
  if (!s) return null;
  const { span, ctx } = s;
  let ended = false;
  return {
    run: (fn) => context.with(ctx, fn),
    streaming: () => span.setAttribute(sc.GEN_AI_REQUEST_STREAM, true),
    observe: (v) => observeResponse(span, v),
    fail: (err) => !ended && markError(span, errorType(err), err),
    end() {
      if (ended) return;
      ended = true;
      span.end();
    },
  };
}

interface ResponseLike {
  id?: unknown;
  model?: unknown;
  choices?: unknown;
  usage?: { prompt_tokens?: unknown; completion_tokens?: unknown; prompt_tokens_details?: { cached_tokens?: unknown } | null } | null;
}

function observeResponse(span: Span, v: unknown): void {
  if (!v || typeof v !== 'object') return;
  const o = v as ResponseLike;
  if (typeof o.model === 'string' && o.model) span.setAttribute(sc.GEN_AI_RESPONSE_MODEL, o.model);
  if (typeof o.id === 'string' && o.id) span.setAttribute(sc.GEN_AI_RESPONSE_ID, o.id);
  const u = o.usage;
  if (u && typeof u === 'object') {
    if (typeof u.prompt_tokens === 'number') span.setAttribute(sc.GEN_AI_USAGE_INPUT_TOKENS, u.prompt_tokens);
    if (typeof u.completion_tokens === 'number') span.setAttribute(sc.GEN_AI_USAGE_OUTPUT_TOKENS, u.completion_tokens);
    const cached = u.prompt_tokens_details?.cached_tokens;
    if (typeof cached === 'number' && cached > 0) span.setAttribute(sc.GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS, cached);
  }
  if (Array.isArray(o.choices)) {
    const reasons = o.choices.map((c: { finish_reason?: unknown } | null) => c?.finish_reason).filter((r): r is string => typeof r === 'string');
    if (reasons.length) span.setAttribute(sc.GEN_AI_RESPONSE_FINISH_REASONS, reasons);
  }
}


type Json = Record<string, unknown>;

/** One upstream MCP request (CLIENT): `tools/call {tool}`, `prompts/get {prompt}`, else the method alone. */
export interface McpSpan {
  /** The params to send: a copy with `traceparent`/`tracestate` in `_meta` (SEP-414). */
  readonly params: Json | undefined;
  /** The upstream JSON-RPC id and MCP session, once connected. */
  sent(requestId: number | string | undefined, sessionId: string | undefined): void;
  result(res: Json): void;
  fail(err: unknown): void;
  end(): void;
}

export interface McpSpanInfo {
  serverId: string;
  method: string;
  params: Json | undefined;
  transport: 'stdio' | 'http' | 'sse';
  url?: string;
}

function targetOf(method: string, params: Json | undefined): { attr?: string; name?: string } {
  const name = typeof params?.name === 'string' ? params.name : undefined;
  if (method === 'tools/call') return { attr: sc.GEN_AI_TOOL_NAME, name };
  if (method === 'prompts/get') return { attr: sc.GEN_AI_PROMPT_NAME, name };
  return {};
}

export function startMcpSpan(m: McpSpanInfo): McpSpan | null {
  const t = targetOf(m.method, m.params);
  const attrs: Record<string, string | number | boolean> = { [sc.MCP_METHOD_NAME]: m.method, [sc.GW_MCP_SERVER_ID]: m.serverId };
  if (t.attr && t.name) attrs[t.attr] = t.name;
  if (m.method === 'tools/call') attrs[sc.GEN_AI_OPERATION_NAME] = 'execute_tool';
  if (m.method === 'resources/read' && typeof m.params?.uri === 'string') attrs[sc.MCP_RESOURCE_URI] = m.params.uri;
  attrs[sc.NETWORK_TRANSPORT] = m.transport === 'stdio' ? 'pipe' : 'tcp';
  if (m.url) {
    try {
      const u = new URL(m.url);
      attrs[sc.SERVER_ADDRESS] = u.hostname;
      attrs[sc.SERVER_PORT] = Number(u.port || (u.protocol === 'https:' ? 443 : 80));
    } catch {
      // config URLs are validated; nothing to add otherwise
    }
  }
  const s = startSpan(t.name ? `${m.method} ${t.name}` : m.method, SpanKind.CLIENT, attrs);
  if (!s) return null;
  const { span, ctx } = s;
  const carrier: Record<string, string> = {};
  (ctx.getValue(CORE) as TracingCore).inject(ctx, carrier);
  const meta = { ...((m.params?._meta as Json | undefined) ?? {}), ...carrier };
  let ended = false;
  return {
    params: { ...(m.params ?? {}), _meta: meta },
    sent(id, session) {
      if (id !== undefined) span.setAttribute(sc.JSONRPC_REQUEST_ID, String(id));
      if (session) span.setAttribute(sc.MCP_SESSION_ID, session);
    },
    result(res) {
      if (res.isError === true) markError(span, 'tool_error', null);
    },
    fail(err) {
      const code = (err as { code?: unknown } | null)?.code;
      if (typeof code === 'number') span.setAttribute(sc.RPC_RESPONSE_STATUS_CODE, String(code));
      markError(span, errorType(err), err);
    },
    end() {
      if (ended) return;
      ended = true;
      span.end();
    },
  };
}

/** One policy step (INTERNAL), named after the step. */
export interface StepSpan {
  end(denial?: { code: string; rule: string } | null): void;
  fail(err: unknown): void;
}

export function startStepSpan(name: string): StepSpan | null {
  const s = startSpan(`policy ${name}`, SpanKind.INTERNAL, { [sc.GW_POLICY_STEP]: name });
  if (!s) return null;
  const span: Span = s.span;
  return {
    end(denial) {
      span.setAttribute(sc.GW_POLICY_DECISION, denial ? 'denied' : 'allowed');
      if (denial) {
        span.setAttribute(sc.GW_POLICY_RULE, denial.rule);
        span.setAttribute(sc.ERROR_TYPE, denial.code);
      }
      span.end();
    },
    fail(err) {
      markError(span, errorType(err), err);
      span.end();
    },
  };
}
