// Tracing's hot-path surface: one cheap check when off, the request's context, span starting, and traceparent injection.
import { context, createContextKey, SpanKind, SpanStatusCode, trace, type Context, type Span, type Tracer } from '@opentelemetry/api';
import type { TelemetryConfig } from './telemetry-config.js';
import type { Logger } from '../log.js';
import * as sc from './semconv.js';

/** What a request's context carries so deep code can start spans without a handle passed down. */
export interface TracingCore {
  tracer: Tracer;
  inject(ctx: Context, carrier: Record<string, string>): void;
}

export interface RequestTrace {
  /** Runs the rest of the request with its SERVER span active. */
  run<T>(fn: () => Promise<T>): Promise<T>;
  end(info: { status: number; route: string; keyId?: string | null; teamId?: string | null }): void;
}

export interface RequestInfo {
  method: string;
  path: string;
  headers: Headers;
  requestId: string;
  sessionId: string;
}

export interface Tracing {
  readonly enabled: boolean;
  /** The SERVER span of one HTTP request, a child of the client's `traceparent`; null when tracing is off. */
  startRequest(req: RequestInfo): RequestTrace | null;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

export const CORE = createContextKey('gateway.tracing');

/** Tracing instances that are on; while 0 every helper below returns at its first line. */
let live = 0;

export function markLive(delta: 1 | -1): void {
  live += delta;
}

/** The cheap guard for call sites that would otherwise build span arguments for nothing. */
export const tracingOn = (): boolean => live > 0;

export function disabledTracing(): Tracing {
  return { enabled: false, startRequest: () => null, forceFlush: async () => undefined, shutdown: async () => undefined };
}

/** Builds tracing from config; the SDK is only loaded when tracing is on. */
export async function createTracing(cfg: TelemetryConfig, log: Logger): Promise<Tracing> {
  if (!cfg.tracing.enabled) return disabledTracing();
  const { createSdkTracing } = await import('./otel-sdk.js');
  return createSdkTracing(cfg, log);
}

/** The active context if it belongs to a traced request. */
function scope(): Context | null {
  if (live === 0) return null;
  const ctx = context.active();
  return ctx.getValue(CORE) === undefined ? null : ctx;
}

export function startSpan(name: string, kind: SpanKind, attributes: Record<string, string | number | boolean>): { span: Span; ctx: Context } | null {
  const ctx = scope();
  if (!ctx) return null;
  const span = (ctx.getValue(CORE) as TracingCore).tracer.startSpan(name, { kind, attributes }, ctx);
  return { span, ctx: trace.setSpan(ctx, span) };
}

/** The active span's ids for audit rows; null when tracing is off or nothing is active. */
export function currentTraceIds(): { traceId: string; spanId: string } | null {
  if (live === 0) return null;
  const s = trace.getSpan(context.active())?.spanContext();
  if (!s || !trace.isSpanContextValid(s)) return null;
  return { traceId: s.traceId, spanId: s.spanId };
}

/** Adds `traceparent`/`tracestate` for the active span to upstream HTTP headers (the same object when off). */
export function traceHeaders(headers: Record<string, string>): Record<string, string> {
  const ctx = scope();
  if (!ctx) return headers;
  const out = { ...headers };
  (ctx.getValue(CORE) as TracingCore).inject(ctx, out);
  return out;
}

export interface ErrorLike {
  code?: unknown;
  name?: unknown;
  message?: unknown;
}

export function errorType(err: unknown): string {
  const e = (err ?? {}) as ErrorLike;
  if (typeof e.code === 'string' || typeof e.code === 'number') return String(e.code);
  return typeof e.name === 'string' ? e.name : '_OTHER';
}

export function markError(span: Span, type: string, err: unknown): void {
  span.setAttribute(sc.ERROR_TYPE, type);
  const m = (err as ErrorLike | null)?.message;
  span.setStatus({ code: SpanStatusCode.ERROR, ...(typeof m === 'string' ? { message: m } : {}) });
}
