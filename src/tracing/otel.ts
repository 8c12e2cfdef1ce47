// Tracing's hot-path surface: one cheap check when off, the request's context, span starting, and traceparent injection.
import { context, SpanKind, SpanStatusCode, trace, type Context, type Span } from '@opentelemetry/api';
import type { TelemetryConfig } from './telemetry-config.js';
import type { Logger } from '../log.js';
import { CORE, type Tracing, type TracingCore } from './otel-core.js';
import * as sc from './semconv.js';

// The contracts live in otel-core.ts so the SDK module need not import this one; callers keep importing them from here.
export type { RequestTrace, Tracing } from './otel-core.js';

/** Tracing instances that are on; while 0 every helper below returns at its first line. */
let live = 0;

/** The cheap guard for call sites that would otherwise build span arguments for nothing. */
export const tracingOn = (): boolean => live > 0;

export function disabledTracing(): Tracing {
  return { enabled: false, startRequest: () => null, forceFlush: async () => undefined, shutdown: async () => undefined };
}

/** Builds tracing from config; the OpenTelemetry SDK is only loaded when tracing is on. */
export async function createTracing(cfg: TelemetryConfig, log: Logger): Promise<Tracing> {
  if (!cfg.tracing.enabled) return disabledTracing();
  const { startSdkTracing } = await import('./otel-sdk.js');
  const sdk = startSdkTracing(cfg, log);
  live++;
  let on = true;
  return {
    enabled: true,
    startRequest: (req) => sdk.startRequest(req),
    forceFlush: () => sdk.forceFlush(),
    async shutdown() {
      if (!on) return;
      on = false;
      live--;
      await sdk.shutdown();
    },
  };
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
