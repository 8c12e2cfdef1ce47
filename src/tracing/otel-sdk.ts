// The OpenTelemetry NodeSDK, loaded only when tracing is on: started from the parsed config, W3C propagation, the SERVER span per request.
import { context, diag, DiagLogLevel, propagation, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type DiagLogger, type TextMapGetter } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { NodeSDK } from '@opentelemetry/sdk-node';
import type { Logger } from '../log.js';
import { CORE, type RequestInfo, type RequestTrace, type Tracing, type TracingCore } from './otel-core.js';
import { createResource, createSampler, createSpanProcessor } from './otel-pipeline.js';
import * as sc from './semconv.js';
import type { TelemetryConfig } from './telemetry-config.js';

const TRACER = 'mcp-agent-gateway';

const headerGetter: TextMapGetter<Headers> = {
  keys: (h) => [...h.keys()],
  get: (h, k) => h.get(k) ?? undefined,
};

/** The SDK's own warnings (a collector that refuses or is unreachable) go to the gateway's log, not to stderr. */
function diagTo(log: Logger): DiagLogger {
  const warn = (message: string, ...args: unknown[]) => log.warn({ otel: args.length ? args.map(String) : undefined }, `otel: ${message}`);
  const skip = () => undefined;
  return { error: warn, warn, info: skip, debug: skip, verbose: skip };
}

/** The SDK registers process-wide globals (tracer provider, context manager, propagator), so one runs at a time. */
let running = false;

export function startSdkTracing(cfg: TelemetryConfig, log: Logger): Tracing {
  if (running) throw new Error('tracing: an OpenTelemetry SDK is already running in this process (a gateway that was not stopped?)');
  running = true;
  const t = cfg.tracing;
  const propagator = new W3CTraceContextPropagator();
  const processor = createSpanProcessor(t);
  // Everything we support is passed in, so the SDK reads none of it from the environment itself; its default context manager is
  // AsyncLocalStorage. The empty lists keep it from starting OTLP metric and log exporters of its own, and no
  // instrumentation spans upstream HTTP a second time (our attempt and MCP spans are the only CLIENT spans).
  const sdk = new NodeSDK({
    resource: createResource(cfg),
    autoDetectResources: false,
    sampler: createSampler(t),
    spanProcessors: [processor],
    textMapPropagator: propagator,
    instrumentations: [],
    metricReaders: [],
    logRecordProcessors: [],
  });
  // Set between constructor and start: a failed global registration (another SDK preloaded) is then logged, not lost.
  diag.setLogger(diagTo(log), DiagLogLevel.WARN);
  sdk.start();
  const core: TracingCore = {
    tracer: trace.getTracer(TRACER),
    inject: (ctx, carrier) => propagator.inject(ctx, carrier, { set: (c, k, v) => void (c[k] = v) }),
  };
  let stopped = false;
  log.info({ exporter: t.exporter, protocol: t.protocol, endpoint: t.exporter === 'otlp' ? t.endpoint : undefined, sampler: t.sampler }, 'tracing on');

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
    forceFlush: () => processor.forceFlush(),
    async shutdown() {
      if (stopped) return;
      stopped = true;
      await sdk.shutdown().catch((err: Error) => log.warn({ err: err.message }, 'tracing: shutdown export failed'));
      // Hand the globals back so a later SDK in this process (a restart in tests) can register its own.
      trace.disable();
      propagation.disable();
      context.disable();
      diag.disable();
      running = false;
    },
  };
}
