// The OpenTelemetry SDK, loaded only when tracing is on: provider, sampler, batch OTLP/HTTP JSON export, W3C propagation, SERVER spans.
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type TextMapGetter } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import type { Logger } from '../log.js';
import { CORE, markLive, type RequestInfo, type RequestTrace, type Tracing, type TracingCore } from './otel.js';
import * as sc from './semconv.js';
import type { TelemetryConfig } from './telemetry-config.js';

const headerGetter: TextMapGetter<Headers> = {
  keys: (h) => [...h.keys()],
  get: (h, k) => h.get(k) ?? undefined,
};

function sampler(t: TelemetryConfig['tracing']): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(t.samplerArg ?? 1);
  switch (t.sampler) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

function exporter(t: TelemetryConfig['tracing']): SpanExporter {
  if (t.exporter === 'console') return new ConsoleSpanExporter();
  return new OTLPTraceExporter({ url: t.endpoint, headers: t.headers, timeoutMillis: t.timeoutMs });
}

let contextManagerSet = false;

/** Async context for the whole process (AsyncLocalStorage); set once, by the first tracing that turns on. */
function ensureContextManager(): void {
  if (contextManagerSet) return;
  contextManagerSet = true;
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
}

export function createSdkTracing(cfg: TelemetryConfig, log: Logger): Tracing {
  const t = cfg.tracing;
  if (t.exporter === 'otlp' && t.protocol !== 'http/json') {
    log.info({ protocol: t.protocol }, 'tracing: spans are exported as OTLP/HTTP JSON (every OTLP/HTTP collector accepts it)');
  }
  ensureContextManager();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ ...cfg.resourceAttributes, [sc.SERVICE_NAME]: cfg.serviceName }),
    sampler: sampler(t),
    spanProcessors: [
      new BatchSpanProcessor(exporter(t), {
        scheduledDelayMillis: t.batch.scheduleDelayMs,
        maxQueueSize: t.batch.maxQueueSize,
        maxExportBatchSize: t.batch.maxExportBatchSize,
        exportTimeoutMillis: t.batch.exportTimeoutMs,
      }),
    ],
  });
  const propagator = new W3CTraceContextPropagator();
  const core: TracingCore = {
    tracer: provider.getTracer('mcp-agent-gateway'),
    inject: (ctx, carrier) => propagator.inject(ctx, carrier, { set: (c, k, v) => void (c[k] = v) }),
  };
  markLive(1);
  let live = true;
  log.info({ endpoint: t.exporter === 'otlp' ? t.endpoint : 'console', sampler: t.sampler }, 'tracing on');

  return {
    enabled: true,
    startRequest(req: RequestInfo): RequestTrace {
      const parent = propagator.extract(ROOT_CONTEXT, req.headers, headerGetter);
      const ua = req.headers.get('user-agent');
      const span = core.tracer.startSpan(
        req.method,
        {
          kind: SpanKind.SERVER,
          attributes: {
            [sc.HTTP_REQUEST_METHOD]: req.method,
            [sc.URL_PATH]: req.path,
            [sc.GW_REQUEST_ID]: req.requestId,
            [sc.GEN_AI_CONVERSATION_ID]: req.sessionId,
            ...(ua ? { [sc.USER_AGENT_ORIGINAL]: ua } : {}),
          },
        },
        parent,
      );
      const ctx = trace.setSpan(parent, span).setValue(CORE, core);
      let ended = false;
      return {
        run: (fn) => context.with(ctx, fn),
        end({ status, route, keyId, teamId }) {
          if (ended) return;
          ended = true;
          span.updateName(`${req.method} ${route}`);
          span.setAttribute(sc.HTTP_ROUTE, route);
          span.setAttribute(sc.HTTP_RESPONSE_STATUS_CODE, status);
          if (keyId) span.setAttribute(sc.GW_KEY_ID, keyId);
          if (teamId) span.setAttribute(sc.GW_TEAM_ID, teamId);
          if (status >= 500) {
            span.setAttribute(sc.ERROR_TYPE, String(status));
            span.setStatus({ code: SpanStatusCode.ERROR });
          }
          span.end();
        },
      };
    },
    forceFlush: () => provider.forceFlush(),
    async shutdown() {
      if (!live) return;
      live = false;
      markLive(-1);
      await provider.shutdown().catch((err: Error) => log.warn({ err: err.message }, 'tracing: shutdown export failed'));
    },
  };
}
