// The `telemetry` config block and how the standard OTEL_* variables fill it (config.ts passes the environment in; this module reads none itself).
import { parseKeyPairsIntoRecord } from '@opentelemetry/core';
import { z } from 'zod';

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'] as const;
const PROTOCOLS = ['http/protobuf', 'http/json', 'grpc'] as const;
const EXPORTERS = ['otlp', 'console'] as const;

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
    /** Off unless an exporter is configured (here or by OTEL_* variables): the SDK is not even loaded then. */
    enabled: z.boolean().default(false),
    exporter: z.enum(EXPORTERS).default('otlp'),
    /** http/*: the full traces URL (…/v1/traces); grpc: the collector's address (http://host:4317). */
    endpoint: z.url().optional(),
    headers: z.record(z.string(), z.string()).default({}),
    protocol: z.enum(PROTOCOLS).default('http/protobuf'),
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
    /** Serve /metrics without the admin key even once keys exist (a scraper on a private network). */
    public: z.boolean().default(false),
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
export type TracingConfig = TelemetryConfig['tracing'];

type Env = Record<string, string | undefined>;
type Fail = (m: string) => never;

/** The first variable of `names` that is set and not blank, as the spec's signal-specific-then-general lookup. */
function pick(env: Env, ...names: string[]): { name: string; value: string } | undefined {
  for (const name of names) {
    const value = env[name]?.trim();
    if (value) return { name, value };
  }
  return undefined;
}

function num(env: Env, fail: Fail, ...names: string[]): number | undefined {
  const v = pick(env, ...names);
  if (!v) return undefined;
  const n = Number(v.value);
  if (!Number.isFinite(n) || n < 0) fail(`${v.name}: "${v.value}" is not a non-negative number`);
  return n;
}

function oneOf<T extends string>(env: Env, fail: Fail, allowed: readonly T[], ...names: string[]): T | undefined {
  const v = pick(env, ...names);
  if (!v) return undefined;
  if (!(allowed as readonly string[]).includes(v.value)) fail(`${v.name}: "${v.value}" is not one of ${allowed.join(', ')}`);
  return v.value as T;
}

/** OTEL_TRACES_EXPORTER is a list; the gateway runs one exporter, and `none` anywhere turns tracing off. */
function exporterFrom(env: Env, fail: Fail): 'none' | TracingConfig['exporter'] | undefined {
  const raw = env.OTEL_TRACES_EXPORTER?.trim();
  if (!raw) return undefined;
  const names = [...new Set(raw.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean))];
  if (names.includes('none')) return 'none';
  const bad = names.find((n) => !(EXPORTERS as readonly string[]).includes(n));
  if (bad !== undefined) fail(`OTEL_TRACES_EXPORTER: "${bad}" is not one of otlp, console, none`);
  if (names.length > 1) fail(`OTEL_TRACES_EXPORTER: "${raw}" names more than one exporter; the gateway runs one`);
  return names[0] as TracingConfig['exporter'];
}

/** Where spans go: a traces endpoint as is; a base endpoint as is for gRPC, plus /v1/traces for OTLP/HTTP (the spec's rule). */
function endpointFrom(env: Env, protocol: TracingConfig['protocol']): string | undefined {
  const traces = pick(env, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT');
  if (traces) return traces.value;
  const base = pick(env, 'OTEL_EXPORTER_OTLP_ENDPOINT');
  if (!base) return undefined;
  return protocol === 'grpc' ? base.value : `${base.value.replace(/\/+$/, '')}/v1/traces`;
}

export const defaultEndpoint = (protocol: TracingConfig['protocol']): string =>
  protocol === 'grpc' ? 'http://localhost:4317' : 'http://localhost:4318/v1/traces';

/** Applies the OTEL_* variables (they win over gateway.yaml, as everywhere else) and decides whether tracing is on. */
export function applyOtelEnv(base: TelemetryConfig, env: Env, fail: Fail): TelemetryConfig {
  const t: TelemetryConfig = structuredClone(base);
  const tr = t.tracing;
  // The k=v lists use OTel's own parser, the one the exporters apply to these variables.
  t.resourceAttributes = { ...t.resourceAttributes, ...parseKeyPairsIntoRecord(env.OTEL_RESOURCE_ATTRIBUTES) };
  const svc = env.OTEL_SERVICE_NAME?.trim() || t.resourceAttributes['service.name'];
  if (svc) t.serviceName = svc;
  tr.protocol = oneOf(env, fail, PROTOCOLS, 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL') ?? tr.protocol;
  tr.endpoint = endpointFrom(env, tr.protocol) ?? tr.endpoint;
  if (tr.endpoint !== undefined && !z.url().safeParse(tr.endpoint).success) fail(`OTEL_EXPORTER_OTLP_ENDPOINT: "${tr.endpoint}" is not a URL`);
  tr.headers = { ...tr.headers, ...parseKeyPairsIntoRecord(env.OTEL_EXPORTER_OTLP_HEADERS), ...parseKeyPairsIntoRecord(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS) };
  tr.timeoutMs = num(env, fail, 'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT') || tr.timeoutMs;
  tr.sampler = oneOf(env, fail, SAMPLERS, 'OTEL_TRACES_SAMPLER') ?? tr.sampler;
  const arg = num(env, fail, 'OTEL_TRACES_SAMPLER_ARG');
  if (arg !== undefined) tr.samplerArg = Math.min(1, arg);
  const bsp = tr.batch;
  bsp.scheduleDelayMs = num(env, fail, 'OTEL_BSP_SCHEDULE_DELAY') ?? bsp.scheduleDelayMs;
  bsp.maxQueueSize = num(env, fail, 'OTEL_BSP_MAX_QUEUE_SIZE') ?? bsp.maxQueueSize;
  bsp.maxExportBatchSize = Math.min(num(env, fail, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE') ?? bsp.maxExportBatchSize, bsp.maxQueueSize);
  bsp.exportTimeoutMs = num(env, fail, 'OTEL_BSP_EXPORT_TIMEOUT') ?? bsp.exportTimeoutMs;

  // On when an exporter is named or an endpoint is given; OTEL_TRACES_EXPORTER=none and OTEL_SDK_DISABLED win.
  const exporter = exporterFrom(env, fail);
  if (exporter === 'otlp' || exporter === 'console') {
    tr.exporter = exporter;
    tr.enabled = true;
  }
  if (tr.endpoint !== undefined && exporter === undefined) tr.enabled = true;
  if (exporter === 'none' || env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true') tr.enabled = false;
  if (tr.enabled && tr.exporter === 'otlp') tr.endpoint ??= defaultEndpoint(tr.protocol);
  if (env.GATEWAY_METRICS_PUBLIC) t.metrics.public = env.GATEWAY_METRICS_PUBLIC === 'true';
  return t;
}
