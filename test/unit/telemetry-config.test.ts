// OTEL_* variables → config.telemetry (on only with an exporter; OTEL_SDK_DISABLED and none win), and the strict Prometheus parser.
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config.js';
import { boundedLabel } from '../../src/tracing/metrics.js';
import { parsePrometheus } from '../helpers/prom-parse.js';

const tel = (env: Record<string, string>) => parseConfig({ logLevel: 'silent' }, env).telemetry;

describe('telemetry config from OTEL_* variables', () => {
  it('is off with no exporter configured', () => {
    expect(tel({}).tracing.enabled).toBe(false);
    expect(tel({ OTEL_SERVICE_NAME: 'x' }).tracing.enabled).toBe(false);
  });

  it('turns on with an endpoint, appending /v1/traces for OTLP/HTTP (http/protobuf by default), with headers, sampler and batch settings', () => {
    const t = tel({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=a%20b,x=1',
      OTEL_SERVICE_NAME: 'gw',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment=prod',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    });
    expect(t.tracing).toMatchObject({
      enabled: true,
      protocol: 'http/protobuf',
      endpoint: 'http://collector:4318/v1/traces',
      headers: { 'api-key': 'a b', x: '1' },
      sampler: 'parentbased_traceidratio',
      samplerArg: 0.25,
    });
    expect(t.tracing.batch.scheduleDelayMs).toBe(100);
    expect(t.serviceName).toBe('gw');
    expect(t.resourceAttributes['deployment.environment']).toBe('prod');
  });

  it('gRPC takes the base endpoint as is and defaults to localhost:4317; the traces-specific variables win', () => {
    expect(tel({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4317', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).tracing).toMatchObject({ protocol: 'grpc', endpoint: 'http://c:4317' });
    expect(tel({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).tracing.endpoint).toBe('http://localhost:4317');
    const t = tel({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318',
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/json',
      OTEL_EXPORTER_OTLP_HEADERS: 'a=1,b=2',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'b=3',
    }).tracing;
    expect(t).toMatchObject({ protocol: 'http/json', endpoint: 'http://c:4318/v1/traces', headers: { a: '1', b: '3' } });
  });

  it('OTEL_SERVICE_NAME wins over service.name in OTEL_RESOURCE_ATTRIBUTES, which wins over the default', () => {
    expect(tel({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs' }).serviceName).toBe('from-attrs');
    expect(tel({ OTEL_RESOURCE_ATTRIBUTES: 'service.name=from-attrs', OTEL_SERVICE_NAME: 'svc' }).serviceName).toBe('svc');
    expect(tel({}).serviceName).toBe('mcp-agent-gateway');
  });

  it('uses a traces endpoint as is; OTEL_TRACES_EXPORTER=otlp alone defaults to localhost; console needs no endpoint', () => {
    expect(tel({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://c:4318/custom' }).tracing.endpoint).toBe('http://c:4318/custom');
    expect(tel({ OTEL_TRACES_EXPORTER: 'otlp' }).tracing).toMatchObject({ enabled: true, endpoint: 'http://localhost:4318/v1/traces' });
    expect(tel({ OTEL_TRACES_EXPORTER: 'console' }).tracing).toMatchObject({ enabled: true, exporter: 'console', endpoint: undefined });
  });

  it('OTEL_SDK_DISABLED and OTEL_TRACES_EXPORTER=none win over an endpoint', () => {
    expect(tel({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_SDK_DISABLED: 'true' }).tracing.enabled).toBe(false);
    expect(tel({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'none' }).tracing.enabled).toBe(false);
    expect(tel({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318', OTEL_TRACES_EXPORTER: 'otlp,none' }).tracing.enabled).toBe(false);
  });

  it('rejects bad values with a readable ConfigError naming the variable', () => {
    expect(() => tel({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(ConfigError);
    expect(() => tel({ OTEL_BSP_SCHEDULE_DELAY: 'soon' })).toThrow(/OTEL_BSP_SCHEDULE_DELAY/);
    expect(() => tel({ OTEL_TRACES_EXPORTER: 'zipkin' })).toThrow(/OTEL_TRACES_EXPORTER/);
    expect(() => tel({ OTEL_TRACES_EXPORTER: 'otlp,console' })).toThrow(/more than one exporter/);
    expect(() => tel({ OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'thrift' })).toThrow(/OTEL_EXPORTER_OTLP_TRACES_PROTOCOL/);
    expect(() => tel({ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' })).toThrow(/not a URL/);
  });

  it('reads k=v lists with OTel\'s own parser: percent-decoded, blank and malformed entries skipped', () => {
    expect(tel({ OTEL_EXPORTER_OTLP_HEADERS: 'a=1, b = two ,bad,=x,c=%E2%9C%93', OTEL_TRACES_EXPORTER: 'otlp' }).tracing.headers).toEqual({ a: '1', b: 'two', c: '\u2713' });
  });
});

describe('metric label bounds', () => {
  it('maps values past the cap to _other and empty ones to none', () => {
    const l = boundedLabel(2);
    expect([l('a'), l('b'), l('c'), l('a'), l(null)]).toEqual(['a', 'b', '_other', 'a', '_other']);
  });
});

describe('the strict Prometheus parser (test helper)', () => {
  it('accepts valid text and rejects malformed lines and broken histograms', () => {
    const ok = '# HELP x_total X.\n# TYPE x_total counter\nx_total{a="q\\"uote",b="n\\nl"} 3\n';
    expect(parsePrometheus(ok).get('x_total')?.samples[0]?.labels).toEqual({ a: 'q"uote', b: 'n\nl' });
    expect(() => parsePrometheus('# TYPE x counter\nx{a=1} 1\n')).toThrow();
    expect(() => parsePrometheus('# TYPE x gauge\ny 1\n')).toThrow(/outside its family/);
    expect(() => parsePrometheus('# TYPE x gauge\nx one\n')).toThrow(/bad value/);
    expect(() => parsePrometheus('# TYPE x gauge\nx 1')).toThrow(/newline/);
    const h = '# TYPE h histogram\nh_bucket{le="1"} 2\nh_bucket{le="+Inf"} 3\nh_sum 4\nh_count 2\n';
    expect(() => parsePrometheus(h)).toThrow(/_count/);
  });
});
