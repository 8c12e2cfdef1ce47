// The NodeSDK lifecycle: off loads nothing, on registers tracing alone (no metric or log exporters), one SDK per process, restartable.
import { metrics, trace } from '@opentelemetry/api';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createLogger } from '../../src/log.js';
import { createTracing, tracingOn, type Tracing } from '../../src/tracing/otel.js';

const log = createLogger('silent');
const telemetry = (env: Record<string, string>) => parseConfig({ logLevel: 'silent' }, env).telemetry;
// Nothing is sampled, so nothing is sent to the endpoint (no collector there); the SDK still gives each span real ids.
const ON = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:9', OTEL_TRACES_SAMPLER: 'always_off' };

const started: Tracing[] = [];
async function start(env: Record<string, string>): Promise<Tracing> {
  const t = await createTracing(telemetry(env), log);
  started.push(t);
  return t;
}

afterEach(async () => {
  for (const t of started.splice(0)) await t.shutdown();
});

describe('tracing on the OpenTelemetry NodeSDK', () => {
  it('stays off with nothing configured: no SDK, no global tracer provider, the hot-path guard false', async () => {
    const t = await start({});
    expect(t.enabled).toBe(false);
    expect(tracingOn()).toBe(false);
    expect(t.startRequest({ method: 'GET', path: '/', headers: new Headers(), requestId: 'r', sessionId: 's' })).toBeNull();
    // The API's own no-op provider: nothing was registered.
    expect(trace.getTracer('x').startSpan('probe').spanContext().traceId).toBe('0'.repeat(32));
  });

  it('registers a tracer provider and no meter provider (the SDK would otherwise push OTLP metrics of its own)', async () => {
    const t = await start(ON);
    expect(t.enabled).toBe(true);
    expect(tracingOn()).toBe(true);
    const span = trace.getTracer('x').startSpan('probe');
    expect(span.spanContext().traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
    span.end();
    expect(metrics.getMeterProvider().constructor.name).toBe('NoopMeterProvider');
  });

  it('refuses a second SDK while one runs, and starts again after shutdown', async () => {
    const first = await start(ON);
    await expect(createTracing(telemetry(ON), log)).rejects.toThrow(/already running/);
    await first.shutdown();
    expect(tracingOn()).toBe(false);
    expect(trace.getTracer('x').startSpan('probe').spanContext().traceId).toBe('0'.repeat(32));
    const second = await start(ON);
    expect(second.enabled).toBe(true);
    const span = trace.getTracer('x').startSpan('probe');
    expect(span.spanContext().traceId).not.toBe('0'.repeat(32));
    span.end();
  });

  it('continues the client traceparent in the request span', async () => {
    const t = await start(ON);
    const headers = new Headers({ traceparent: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01` });
    const rt = t.startRequest({ method: 'POST', path: '/v1/chat/completions', headers, requestId: 'r1', sessionId: 's1' })!;
    const ids = await rt.run(async () => trace.getActiveSpan()?.spanContext());
    expect(ids?.traceId).toBe('ab'.repeat(16));
    expect(ids?.spanId).not.toBe('cd'.repeat(8));
    rt.end({ status: 200, route: '/v1/chat/completions' });
  });
});
