// /metrics after mixed traffic: strict Prometheus text with the expected series; tracing off sends nothing and adds no headers.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningGateway } from '../../src/server.js';
import { currentTraceIds, tracingOn } from '../../src/tracing/otel.js';
import { startFakeUpstream, type FakeUpstream } from '../fixtures/fake-upstream.js';
import { startTestGateway } from '../helpers/gateway.js';
import { connect } from '../helpers/mcp.js';
import { startMetaServer, type MetaServer } from '../helpers/mcp-meta-server.js';
import { startOtlpReceiver, type OtlpReceiver } from '../helpers/otlp-receiver.js';
import { parsePrometheus, sampleValue } from '../helpers/prom-parse.js';

const KEY = 'sk-gw-metrics-key-0123456789';
const ADMIN = 'admin-key-0123456789abcdef';
let fake: FakeUpstream;
let meta: MetaServer;
let otlp: OtlpReceiver;
let gw: RunningGateway;

beforeAll(async () => {
  [fake, meta, otlp] = await Promise.all([startFakeUpstream(), startMetaServer(), startOtlpReceiver()]);
  gw = await startTestGateway(
    {
      providers: { up: { kind: 'openai-compatible', baseUrl: `${fake.url}/v1`, apiKey: 'sk-up', models: ['gpt-4o-mini'], prices: { 'gpt-4o-mini': { input: 1, output: 2 } } } },
      mcpServers: { fx: { type: 'http', url: meta.url } },
      teams: { blue: {} },
      keys: [{ id: 'k1', key: KEY, team: 'blue', models: ['up/gpt-4o-mini', 'up/text-embedding-3-small'], tools: ['fx__*'] }],
      auth: { adminKey: ADMIN },
    },
    // An OTLP endpoint is named but tracing is disabled: nothing may be exported.
    { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_SDK_DISABLED: 'true' },
  );
});

afterAll(async () => {
  await gw?.stop();
  await Promise.all([fake?.close(), meta?.close(), otlp?.close()]);
});

const post = (path: string, body: unknown) =>
  fetch(`${gw.url}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json', traceparent: `00-${'ab'.repeat(16)}-${'cd'.repeat(8)}-01` },
    body: JSON.stringify(body),
  });

describe('/metrics', () => {
  it('counts requests, tokens, cost, overhead, tool calls, denials and upstream health, in valid Prometheus text', async () => {
    const ok = await post('/v1/chat/completions', { model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'hello metrics' }] });
    expect(ok.status).toBe(200);
    await ok.json();
    const denied = await post('/v1/chat/completions', { model: 'up/gpt-4o', messages: [{ role: 'user', content: 'not allowed' }] });
    expect(denied.status).toBe(403);
    await denied.text();
    const emb = await post('/v1/embeddings', { model: 'up/text-embedding-3-small', input: 'vectors' });
    expect(emb.status).toBe(200);
    await emb.json();
    const client = await connect(`${gw.url}/mcp`, { key: KEY });
    await client.callTool({ name: 'fx__meta', arguments: {} });
    await client.callTool({ name: 'fx__boom', arguments: {} });
    await client.close();

    const res = await fetch(`${gw.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toContain('text/plain');
    const fams = parsePrometheus(await res.text());
    const llm = { endpoint: 'chat.completions', provider: 'up', model: 'gpt-4o-mini', key: 'k1', team: 'blue' };
    expect(sampleValue(fams, 'gateway_llm_requests_total', 'gateway_llm_requests_total', { ...llm, status: '200' })).toBe(1);
    expect(sampleValue(fams, 'gateway_llm_requests_total', 'gateway_llm_requests_total', { endpoint: 'embeddings', status: '200', key: 'k1' })).toBe(1);
    expect(sampleValue(fams, 'gateway_llm_tokens_total', 'gateway_llm_tokens_total', { model: 'gpt-4o-mini', key: 'k1', team: 'blue', type: 'input' })).toBeGreaterThan(0);
    expect(sampleValue(fams, 'gateway_llm_tokens_total', 'gateway_llm_tokens_total', { model: 'gpt-4o-mini', type: 'output' })).toBeGreaterThan(0);
    expect(sampleValue(fams, 'gateway_llm_cost_dollars_total', 'gateway_llm_cost_dollars_total', { model: 'gpt-4o-mini', key: 'k1' })).toBeGreaterThan(0);
    expect(sampleValue(fams, 'gateway_llm_overhead_duration_seconds', 'gateway_llm_overhead_duration_seconds_count', { endpoint: 'chat.completions' })).toBeGreaterThanOrEqual(1);
    expect(sampleValue(fams, 'gateway_llm_upstream_duration_seconds', 'gateway_llm_upstream_duration_seconds_count', { provider: 'up', model: 'gpt-4o-mini' })).toBe(1);
    expect(sampleValue(fams, 'gateway_llm_errors_total', 'gateway_llm_errors_total', { code: 'forbidden', key: 'k1' })).toBe(1);
    expect(sampleValue(fams, 'gateway_policy_denials_total', 'gateway_policy_denials_total', { door: 'chat', code: 'forbidden' })).toBe(1);
    expect(sampleValue(fams, 'gateway_tool_calls_total', 'gateway_tool_calls_total', { server: 'fx', tool: 'meta', decision: 'allowed', outcome: 'ok' })).toBe(1);
    expect(sampleValue(fams, 'gateway_tool_calls_total', 'gateway_tool_calls_total', { server: 'fx', tool: 'boom', outcome: 'tool_error' })).toBe(1);
    expect(sampleValue(fams, 'gateway_tool_call_duration_seconds', 'gateway_tool_call_duration_seconds_count', { server: 'fx', method: 'tools/call' })).toBe(2);
    expect(sampleValue(fams, 'gateway_http_requests_total', 'gateway_http_requests_total', { route: '/v1/chat/completions', method: 'POST', status: '200' })).toBe(1);
    expect(sampleValue(fams, 'gateway_http_request_duration_seconds', 'gateway_http_request_duration_seconds_count', { route: '/v1/chat/completions' })).toBe(2);
    expect(sampleValue(fams, 'gateway_mcp_upstream_state', 'gateway_mcp_upstream_state', { server: 'fx', state: 'ready' })).toBe(1);
    expect(sampleValue(fams, 'gateway_mcp_upstream_state', 'gateway_mcp_upstream_state', { server: 'fx', state: 'down' })).toBe(0);
    expect(sampleValue(fams, 'gateway_route_breaker_state', 'gateway_route_breaker_state', { target: 'up/gpt-4o-mini', state: 'closed' })).toBe(1);
    expect(sampleValue(fams, 'gateway_audit_queue_depth', 'gateway_audit_queue_depth')).toBeGreaterThanOrEqual(0);
    expect(sampleValue(fams, 'gateway_audit_queue_bytes', 'gateway_audit_queue_bytes')).toBeGreaterThanOrEqual(0);
    expect(fams.get('gateway_audit_dropped_events_total')?.type).toBe('counter');
    expect(fams.get('process_cpu_user_seconds_total')?.type).toBe('counter');
    // Never labelled by request or session.
    for (const f of fams.values()) for (const s of f.samples) expect(Object.keys(s.labels)).not.toContain('session');
  });

  it('adds Server-Timing with gateway and upstream time to non-streamed responses', async () => {
    const res = await post('/v1/chat/completions', { model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'timing' }] });
    await res.json();
    const m = /^gw;dur=(\d+\.\d+), upstream;dur=(\d+\.\d+)$/.exec(res.headers.get('server-timing') ?? '');
    expect(m).not.toBeNull();
  });

  it('tracing off: no span, no exporter, no traceparent upstream, no trace ids', async () => {
    expect(gw.deps.config.telemetry.tracing.enabled).toBe(false);
    expect(gw.deps.tracing.enabled).toBe(false);
    expect(tracingOn()).toBe(false);
    expect(currentTraceIds()).toBeNull();
    const res = await post('/v1/chat/completions', { model: 'up/gpt-4o-mini', messages: [{ role: 'user', content: 'untraced' }] });
    await res.json();
    expect(fake.requests.length).toBeGreaterThan(0);
    for (const r of fake.requests) expect(r.headers.traceparent).toBeUndefined();
    expect(meta.metas.every((m) => m.traceparent === undefined)).toBe(true);
    await new Promise((r) => setTimeout(r, 100));
    expect(otlp.requests).toBe(0);
  });
});

describe('/metrics behind the admin key', () => {
  it('refuses a scrape without the admin key once the gateway has keys (an admin key is one)', async () => {
    const locked = await startTestGateway({ auth: { adminKey: ADMIN }, telemetry: { metrics: { processMetrics: false } } });
    try {
      expect((await fetch(`${locked.url}/metrics`)).status).toBe(401);
      const res = await fetch(`${locked.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } });
      expect(res.status).toBe(200);
      expect(parsePrometheus(await res.text()).has('gateway_http_requests_total')).toBe(true);
    } finally {
      await locked.stop();
    }
  });
});
