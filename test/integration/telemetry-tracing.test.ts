// Tracing end to end over each OTLP protocol (http/json, http/protobuf, grpc): spans reach an in-process receiver with GenAI/MCP
// attributes, under the client's traceparent, propagated upstream, each upstream call spanned once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { RunningGateway } from '../../src/server.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect, textOf } from '../helpers/mcp.js';
import { startMetaServer, type MetaServer } from '../helpers/mcp-meta-server.js';
import { startOtlpReceiver, type OtlpProtocol, type OtlpReceiver, type ReceivedSpan } from '../helpers/otlp-receiver.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';
const traceparent = (trace = TRACE, span = CLIENT_SPAN) => `00-${trace}-${span}-01`;
const SERVER = 2;
const CLIENT = 3;

let fake: FakeUpstream;

beforeAll(async () => {
  fake = await startFakeUpstream();
});

afterAll(async () => {
  await fake?.close();
});

const byParent = (spans: ReceivedSpan[], parent: ReceivedSpan) => spans.filter((s) => s.parentSpanId === parent.spanId);

async function chat(gw: RunningGateway, body: Record<string, unknown>, trace: string): Promise<Response> {
  return fetch(`${gw.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', traceparent: traceparent(trace), 'x-session-id': 'agent-run-1' },
    body: JSON.stringify({ model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'hello there' }], ...body }),
  });
}

/** Trace ids unique per protocol run, so a span can only match the run that sent it. */
const traceId = (run: number, tag: string) => `${tag}${run}`.padEnd(32, '0');

const PROTOCOLS: OtlpProtocol[] = ['http/json', 'http/protobuf', 'grpc'];

describe.each(PROTOCOLS.map((p, i) => [p, i] as const))('tracing on, exported over OTLP %s', (protocol, run) => {
  let otlp: OtlpReceiver;
  // The meta server takes one MCP client, so each run (one gateway) gets its own.
  let meta: MetaServer;
  let gw: RunningGateway;

  beforeAll(async () => {
    [otlp, meta] = await Promise.all([startOtlpReceiver(), startMetaServer()]);
    gw = await startTestGateway(
      {
        providers: { up: { kind: 'openai-compatible', baseUrl: `${fake.url}/v1`, apiKey: 'sk-up', models: ['gpt-4o-mini'] } },
        mcpServers: { fx: { type: 'http', url: meta.url } },
      },
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: protocol === 'grpc' ? otlp.grpcUrl : otlp.url,
        OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-collector-key=s3cret%20value',
        OTEL_BSP_SCHEDULE_DELAY: '20',
        OTEL_SERVICE_NAME: 'gw-under-test',
        OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
      },
    );
  });

  afterAll(async () => {
    await gw?.stop();
    await Promise.all([otlp?.close(), meta?.close()]);
  });

  it('a chat call: SERVER span under the client traceparent, a CLIENT attempt span with gen_ai attributes, traceparent upstream', async () => {
    const trace = traceId(run, 'a1');
    const res = await chat(gw, {}, trace);
    expect(res.status).toBe(200);
    await res.json();
    expect(res.headers.get('server-timing')).toMatch(/^gw;dur=\d+(\.\d+)?, upstream;dur=\d+(\.\d+)?$/);
    await gw.deps.tracing.forceFlush();
    await otlp.waitFor((s) => s.some((x) => x.traceId === trace && x.kind === SERVER && x.attributes['http.response.status_code'] !== undefined));
    const spans = otlp.spans.filter((s) => s.traceId === trace);
    const server = spans.find((s) => s.kind === SERVER)!;
    expect(server.parentSpanId).toBe(CLIENT_SPAN);
    expect(server.name).toBe('POST /v1/chat/completions');
    // Every span came over this run's protocol, with the collector headers from OTEL_EXPORTER_OTLP_HEADERS.
    expect(new Set(otlp.spans.map((s) => s.protocol))).toEqual(new Set([protocol]));
    expect(server.headers['x-collector-key']).toBe('s3cret value');
    expect(server.resource).toMatchObject({ 'service.name': 'gw-under-test', 'deployment.environment.name': 'test', 'telemetry.sdk.name': 'opentelemetry' });
    expect(server.resource['process.pid']).toEqual(expect.any(Number));
    expect(server.attributes).toMatchObject({ 'http.request.method': 'POST', 'http.route': '/v1/chat/completions', 'http.response.status_code': 200, 'gen_ai.conversation.id': 'agent-run-1' });
    const attempt = spans.find((s) => s.name === 'chat gpt-4o-mini')!;
    expect(attempt.kind).toBe(CLIENT);
    expect(attempt.parentSpanId).toBe(server.spanId);
    expect(attempt.attributes).toMatchObject({
      'gen_ai.operation.name': 'chat',
      'gen_ai.provider.name': 'openai-compatible',
      'gen_ai.request.model': 'gpt-4o-mini',
      'gateway.provider.id': 'up',
    });
    expect(attempt.attributes['gen_ai.response.model']).toEqual(expect.any(String));
    expect(attempt.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(attempt.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    // No instrumentation spans the upstream HTTP call a second time: the attempt is the trace's only CLIENT span.
    expect(spans.filter((s) => s.kind === CLIENT).map((s) => s.name)).toEqual(['chat gpt-4o-mini']);
    // The upstream saw the attempt span as its parent.
    const upstream = fake.requests.at(-1)!;
    expect(upstream.headers.traceparent).toBe(`00-${trace}-${attempt.spanId}-01`);
    // Policy steps are INTERNAL children of the request span, named after the step.
    const steps = byParent(spans, server).filter((s) => s.name.startsWith('policy '));
    expect(steps.length).toBeGreaterThan(0);
    expect(steps[0]!.attributes['gateway.policy.decision']).toBe('allowed');
  });

  it('a streamed chat call: the attempt span carries stream and usage; an upstream error sets error.type', async () => {
    const trace = traceId(run, 'b2');
    const res = await chat(gw, { stream: true, stream_options: { include_usage: true } }, trace);
    expect(res.status).toBe(200);
    await res.text();
    const failTrace = traceId(run, 'c3');
    const bad = await chat(gw, { model: 'up/fail-500' }, failTrace);
    expect(bad.status).toBeGreaterThanOrEqual(500);
    await gw.deps.tracing.forceFlush();
    await otlp.waitFor((s) => s.some((x) => x.traceId === trace && x.name === 'chat gpt-4o-mini') && s.some((x) => x.traceId === failTrace && x.name === 'chat fail-500'));
    const attempt = otlp.spans.find((s) => s.traceId === trace && s.name === 'chat gpt-4o-mini')!;
    expect(attempt.attributes['gen_ai.request.stream']).toBe(true);
    expect(attempt.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    const failed = otlp.spans.find((s) => s.traceId === failTrace && s.name === 'chat fail-500')!;
    expect(failed.attributes['error.type']).toBe('upstream_error');
    expect(failed.status.code).toBe(2);
  });

  it('an MCP tool call: a CLIENT span `tools/call meta` with MCP attributes, and the traceparent in the upstream _meta', async () => {
    const trace = traceId(run, 'd4');
    const client: Client = await connect(`${gw.url}/mcp`, { key: null, headers: { traceparent: traceparent(trace) } });
    try {
      const r = await client.callTool({ name: 'fx__meta', arguments: {} });
      const seen = JSON.parse(textOf(r)) as Record<string, unknown>;
      const bad = await client.callTool({ name: 'fx__boom', arguments: {} });
      expect(bad.isError).toBe(true);
      await gw.deps.tracing.forceFlush();
      await otlp.waitFor((s) => s.some((x) => x.traceId === trace && x.name === 'tools/call meta') && s.some((x) => x.traceId === trace && x.name === 'tools/call boom'));
      const span = otlp.spans.find((s) => s.traceId === trace && s.name === 'tools/call meta')!;
      expect(span.kind).toBe(CLIENT);
      expect(span.attributes).toMatchObject({
        'mcp.method.name': 'tools/call',
        'gen_ai.tool.name': 'meta',
        'gen_ai.operation.name': 'execute_tool',
        'gateway.mcp.server.id': 'fx',
        'network.transport': 'tcp',
      });
      expect(span.attributes['jsonrpc.request.id']).toEqual(expect.any(String));
      expect(span.attributes['mcp.session.id']).toEqual(expect.any(String));
      expect(seen.traceparent).toBe(`00-${trace}-${span.spanId}-01`);
      const server = otlp.spans.find((s) => s.spanId === span.parentSpanId)!;
      expect(server.kind).toBe(SERVER);
      expect(server.parentSpanId).toBe(CLIENT_SPAN);
      const boom = otlp.spans.find((s) => s.traceId === trace && s.name === 'tools/call boom')!;
      expect(boom.attributes['error.type']).toBe('tool_error');
    } finally {
      await client.close();
    }
  });

  it('requests without a traceparent start their own trace', async () => {
    const res = await fetch(`${gw.url}/v1/models`);
    expect(res.status).toBe(200);
    await gw.deps.tracing.forceFlush();
    await otlp.waitFor((s) => s.some((x) => x.name === 'GET /v1/models'));
    const s = otlp.spans.find((x) => x.name === 'GET /v1/models')!;
    expect(s.parentSpanId).toBe('');
    expect(s.traceId).toMatch(/^[0-9a-f]{32}$/);
  });
});
