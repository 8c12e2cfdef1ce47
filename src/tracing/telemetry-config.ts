// The `telemetry` config block and how the standard OTEL_* variables fill it (config.ts passes the environment in; this module reads none itself).
import { z } from 'zod';

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;

const BatchSchema = z
  .object({
    scheduleDelayMs: z.number().int().positive().default(5000),
    maxQueueSize: z.number().int().positive().default(2048),
    maxExportBatchSize: z.number().int().positive().default(512),
    exportTimeoutMs: z.number().int().positive().default(30_000),
  })
  .strict();

const TracingSchema = z
  .object({
    /** Off unless an exporter is configured (here or by OTEL_* variables): no span is ever created then. */
    enabled: z.boolean().default(false),
    exporter: z.enum(['otlp', 'console']).default('otlp'),
    /** Full OTLP/HTTP traces URL (…/v1/traces). */
    endpoint: z.url().optional(),
    headers: z.record(z.string(), z.string()).default({}),
    /** Spans are always sent as OTLP/HTTP JSON, which every collector accepts; other values are noted at start. */
    protocol: z.enum(['http/json', 'http/protobuf', 'grpc']).default('http/json'),
    timeoutMs: z.number().int().positive().default(10_000),
    sampler: z.enum(SAMPLERS).default('parentbased_always_on'),
    samplerArg: z.number().min(0).max(1).optional(),
    batch: BatchSchema.default(BatchSchema.parse({})),
  })
  .strict();

const MetricsSchema = z
  .object({
    /** Serves /metrics (Prometheus text). */
    enabled: z.boolean().default(true),
    /** Require GATEWAY_ADMIN_KEY on /metrics (otherwise it is open like /healthz). */
    requireAdminKey: z.boolean().default(false),
    /** Node process metrics (CPU, heap, event-loop lag, GC). */
    processMetrics: z.boolean().default(true),
  })
  .strict();

export const TelemetrySchema = z
  .object({
    serviceName: z.string().min(1).default('mcp-agent-gateway'),
    resourceAttributes: z.record(z.string(), z.string()).default({}),
    tracing: TracingSchema.default(TracingSchema.parse({})),
    metrics: MetricsSchema.default(MetricsSchema.parse({})),
  })
  .strict();

export type TelemetryConfig = z.infer<typeof TelemetrySchema>;

type Env = Record<string, string | undefined>;

/** `k1=v1,k2=v2` with percent-encoded values (OTEL_EXPORTER_OTLP_HEADERS, OTEL_RESOURCE_ATTRIBUTES). */
export function parseKeyValues(s: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (s ?? '').split(',')) {
    const i = part.indexOf('=');
    if (i <= 0) continue;
    const k = part.slice(0, i).trim();
    const raw = part.slice(i + 1).trim();
    let v = raw;
    try {
      v = decodeURIComponent(raw);
    } catch {
      // keep the raw value
    }
    if (k) out[k] = v;
  }
  return out;
}

function num(env: Env, name: string, fail: (m: string) => never): number | undefined {
  const v = env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) fail(`${name}: "${v}" is not a non-negative number`);
  return n;
}

const first = (env: Env, ...names: string[]): string | undefined => {
  for (const n of names) if (env[n]) return env[n];
  return undefined;
};

/** Applies the OTEL_* variables (they win over gateway.yaml, as everywhere else) and decides whether tracing is on. */
export function applyOtelEnv(base: TelemetryConfig, env: Env, fail: (m: string) => never): TelemetryConfig {
  const t: TelemetryConfig = structuredClone(base);
  const tr = t.tracing;
  t.resourceAttributes = { ...t.resourceAttributes, ...parseKeyValues(env.OTEL_RESOURCE_ATTRIBUTES) };
  const svc = env.OTEL_SERVICE_NAME || t.resourceAttributes['service.name'];
  if (svc) t.serviceName = svc;
  const tracesUrl = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  const baseUrl = env.OTEL_EXPORTER_OTLP_ENDPOINT;
  if (tracesUrl) tr.endpoint = tracesUrl;
  else if (baseUrl) tr.endpoint = `${baseUrl.replace(/\/+$/, '')}/v1/traces`;
  if (tr.endpoint !== undefined && !z.url().safeParse(tr.endpoint).success) fail(`OTEL_EXPORTER_OTLP_ENDPOINT: "${tr.endpoint}" is not a URL`);
  tr.headers = { ...tr.headers, ...parseKeyValues(env.OTEL_EXPORTER_OTLP_HEADERS), ...parseKeyValues(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS) };
  const protocol = first(env, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL');
  if (protocol) {
    const p = TracingSchema.shape.protocol.safeParse(protocol);
    if (!p.success) fail(`OTEL_EXPORTER_OTLP_PROTOCOL: "${protocol}" is not one of http/json, http/protobuf, grpc`);
    tr.protocol = p.data;
  }
  const timeout = num(env, env.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ? 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT' : 'OTEL_EXPORTER_OTLP_TIMEOUT', fail);
  if (timeout) tr.timeoutMs = timeout;
  if (env.OTEL_TRACES_SAMPLER) {
    const s = TracingSchema.shape.sampler.safeParse(env.OTEL_TRACES_SAMPLER);
    if (!s.success) fail(`OTEL_TRACES_SAMPLER: "${env.OTEL_TRACES_SAMPLER}" is not one of ${SAMPLERS.join(', ')}`);
    tr.sampler = s.data;
  }
  const arg = num(env, 'OTEL_TRACES_SAMPLER_ARG', fail);
  if (arg !== undefined) tr.samplerArg = Math.min(1, arg);
  const bsp = tr.batch;
  bsp.scheduleDelayMs = num(env, 'OTEL_BSP_SCHEDULE_DELAY', fail) ?? bsp.scheduleDelayMs;
  bsp.maxQueueSize = num(env, 'OTEL_BSP_MAX_QUEUE_SIZE', fail) ?? bsp.maxQueueSize;
  bsp.maxExportBatchSize = Math.min(num(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', fail) ?? bsp.maxExportBatchSize, bsp.maxQueueSize);
  bsp.exportTimeoutMs = num(env, 'OTEL_BSP_EXPORT_TIMEOUT', fail) ?? bsp.exportTimeoutMs;

  // On when an exporter is named or an endpoint is given; OTEL_TRACES_EXPORTER=none and OTEL_SDK_DISABLED win.
  const exporter = env.OTEL_TRACES_EXPORTER?.split(',')[0]?.trim().toLowerCase();
  if (exporter === 'otlp' || exporter === 'console') {
    tr.exporter = exporter;
    tr.enabled = true;
  } else if (exporter && exporter !== 'none') {
    fail(`OTEL_TRACES_EXPORTER: "${exporter}" is not one of otlp, console, none`);
  }
  if (tr.endpoint !== undefined && exporter === undefined) tr.enabled = true;
  if (exporter === 'none' || env.OTEL_SDK_DISABLED?.toLowerCase() === 'true') tr.enabled = false;
  if (tr.enabled && tr.exporter === 'otlp') tr.endpoint ??= 'http://localhost:4318/v1/traces';
  if (env.GATEWAY_METRICS_REQUIRE_ADMIN_KEY) t.metrics.requireAdminKey = env.GATEWAY_METRICS_REQUIRE_ADMIN_KEY === 'true';
  return t;
}
