// The SDK components the telemetry config describes: the span exporter for its OTLP protocol, the batch processor, the sampler, the resource.
import { OTLPTraceExporter as OtlpGrpcExporter } from '@opentelemetry/exporter-trace-otlp-grpc';
import { OTLPTraceExporter as OtlpJsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OtlpProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { createEmptyMetadata } from '@opentelemetry/otlp-grpc-exporter-base';
import { defaultResource, detectResources, hostDetector, processDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ConsoleSpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import * as sc from './semconv.js';
import type { TelemetryConfig, TracingConfig } from './telemetry-config.js';

export function createSampler(t: TracingConfig): Sampler {
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

/** One OTLP exporter per protocol; config always passes the URL, so the exporters' own env fallbacks only add what we do not set. */
export function createOtlpExporter(t: TracingConfig): SpanExporter {
  const common = { url: t.endpoint, timeoutMillis: t.timeoutMs };
  switch (t.protocol) {
    case 'grpc': {
      const metadata = createEmptyMetadata();
      for (const [k, v] of Object.entries(t.headers)) metadata.set(k, v);
      return new OtlpGrpcExporter({ ...common, metadata });
    }
    case 'http/json':
      return new OtlpJsonExporter({ ...common, headers: t.headers });
    default:
      return new OtlpProtoExporter({ ...common, headers: t.headers });
  }
}

/** Console spans are for a developer watching stdout, so they go out one by one; OTLP goes in batches. */
export function createSpanProcessor(t: TracingConfig): SpanProcessor {
  if (t.exporter === 'console') return new SimpleSpanProcessor(new ConsoleSpanExporter());
  return new BatchSpanProcessor(createOtlpExporter(t), {
    scheduledDelayMillis: t.batch.scheduleDelayMs,
    maxQueueSize: t.batch.maxQueueSize,
    maxExportBatchSize: t.batch.maxExportBatchSize,
    exportTimeoutMillis: t.batch.exportTimeoutMs,
  });
}

/**
 * SDK defaults (telemetry.sdk.*), host and process, then the configured attributes and service name on top.
 * No env detector: config.ts has read OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME already.
 */
export function createResource(cfg: TelemetryConfig): Resource {
  return defaultResource()
    .merge(detectResources({ detectors: [hostDetector, processDetector] }))
    .merge(resourceFromAttributes({ ...cfg.resourceAttributes, [sc.SERVICE_NAME]: cfg.serviceName }));
}
