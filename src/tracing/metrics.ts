// Prometheus metrics (prom-client, one registry per gateway): what the gateway records on each call, with bounded label values.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import { registerScrapeGauges, type MetricsSources } from './metrics-sources.js';

export type { MetricsSources } from './metrics-sources.js';

/** Per-request timing the broker fills, for the Server-Timing header. */
export interface RequestTiming {
  upstreamMs: number;
}

export interface LlmCallEvent {
  endpoint: 'chat.completions' | 'embeddings' | string;
  provider: string | null;
  model: string | null;
  keyId: string | null;
  team: string | null;
  status: number;
  errorCode: string | null;
  inputTokens?: number | null;
  outputTokens?: number | null;
  costMicros?: number | null;
  /** From the request's start to the call's end (streams: the last chunk). */
  totalMs: number;
  /** Wall time with at least one upstream attempt in flight. */
  upstreamMs: number;
}

export interface ToolCallEvent {
  server: string;
  method: string;
  /** Tool or prompt name; never a resource URI (unbounded). */
  tool: string | null;
  keyId: string | null;
  decision: 'allowed' | 'denied' | 'redacted';
  outcome: 'ok' | 'tool_error' | 'failed' | 'denied';
  upstreamMs: number | null;
}

export interface DenialEvent {
  door: string;
  /** `Denial.code` (forbidden, rate_limit_exceeded, insufficient_quota, content_blocked). */
  code: string;
  /** `Denial.rule`, e.g. `budget:key-monthly`. */
  rule: string;
}

export interface Metrics {
  readonly contentType: string;
  http(route: string, method: string, status: number, seconds: number): void;
  llmCall(e: LlmCallEvent): void;
  toolCall(e: ToolCallEvent): void;
  denial(d: DenialEvent): void;
  render(): Promise<string>;
}

/** For `telemetry.metrics.enabled: false`: nothing recorded on the hot path, nothing served. */
export function disabledMetrics(): Metrics {
  const noop = (): void => undefined;
  return { contentType: 'text/plain', http: noop, llmCall: noop, toolCall: noop, denial: noop, render: async () => '' };
}

const SLOW = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const FAST = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** Caps the distinct values of a label (clients can name any `provider/model`); later ones become `_other`. */
export function boundedLabel(max: number): (v: string | null | undefined) => string {
  const seen = new Set<string>();
  return (v) => {
    const s = v || 'none';
    if (seen.has(s)) return s;
    if (seen.size >= max) return '_other';
    seen.add(s);
    return s;
  };
}

export function createMetrics(opts: { processMetrics: boolean; sources: MetricsSources }): Metrics {
  const registers = [new Registry()];
  const reg = registers[0]!;
  if (opts.processMetrics) collectDefaultMetrics({ register: reg });
  const model = boundedLabel(500);
  const key = boundedLabel(5000);
  const team = boundedLabel(1000);
  const tool = boundedLabel(2000);
  const route = boundedLabel(100);
  const rule = boundedLabel(500);

  const httpRequests = new Counter({ name: 'gateway_http_requests_total', help: 'HTTP requests by route, method and status.', labelNames: ['route', 'method', 'status'], registers });
  const httpDuration = new Histogram({ name: 'gateway_http_request_duration_seconds', help: 'HTTP request duration (streams: until the last byte).', labelNames: ['route'], buckets: SLOW, registers });
  const llmLabels = ['endpoint', 'provider', 'model', 'key', 'team'] as const;
  const llmRequests = new Counter({ name: 'gateway_llm_requests_total', help: 'Model calls by endpoint, served provider/model, key, team and status.', labelNames: [...llmLabels, 'status'], registers });
  const llmErrors = new Counter({ name: 'gateway_llm_errors_total', help: 'Failed model calls by error code.', labelNames: [...llmLabels, 'code'], registers });
  const llmDuration = new Histogram({ name: 'gateway_llm_request_duration_seconds', help: 'Model call duration, request start to last byte.', labelNames: ['endpoint', 'provider', 'model'], buckets: SLOW, registers });
  const upstreamDuration = new Histogram({ name: 'gateway_llm_upstream_duration_seconds', help: 'Time with an upstream attempt in flight (retries and hedges included).', labelNames: ['endpoint', 'provider', 'model'], buckets: SLOW, registers });
  const overhead = new Histogram({ name: 'gateway_llm_overhead_duration_seconds', help: 'Gateway overhead of a model call: total minus upstream time.', labelNames: ['endpoint'], buckets: FAST, registers });
  const tokens = new Counter({ name: 'gateway_llm_tokens_total', help: 'Tokens by provider, model, key, team and type (input|output).', labelNames: ['provider', 'model', 'key', 'team', 'type'], registers });
  const cost = new Counter({ name: 'gateway_llm_cost_dollars_total', help: 'Cost in US dollars (priced calls only).', labelNames: ['provider', 'model', 'key', 'team'], registers });
  const toolCalls = new Counter({ name: 'gateway_tool_calls_total', help: 'MCP tool calls, resource reads and prompt gets by server, tool, decision and outcome.', labelNames: ['server', 'method', 'tool', 'key', 'decision', 'outcome'], registers });
  const toolDuration = new Histogram({ name: 'gateway_tool_call_duration_seconds', help: 'Upstream MCP call duration.', labelNames: ['server', 'method'], buckets: SLOW, registers });
  const denials = new Counter({ name: 'gateway_policy_denials_total', help: 'Policy denials by door, code and rule (budgets, rate limits, access rules).', labelNames: ['door', 'code', 'rule'], registers });
  registerScrapeGauges(reg, opts.sources);

  return {
    contentType: reg.contentType,
    http(r, method, status, seconds) {
      const labels = { route: route(r), method, status: String(status) };
      httpRequests.inc(labels);
      httpDuration.observe({ route: labels.route }, seconds);
    },
    llmCall(e) {
      const l = { endpoint: e.endpoint, provider: e.provider ?? 'none', model: model(e.model), key: key(e.keyId), team: team(e.team) };
      llmRequests.inc({ ...l, status: String(e.status) });
      if (e.errorCode) llmErrors.inc({ ...l, code: e.errorCode });
      const h = { endpoint: l.endpoint, provider: l.provider, model: l.model };
      llmDuration.observe(h, e.totalMs / 1000);
      if (e.upstreamMs > 0) upstreamDuration.observe(h, e.upstreamMs / 1000);
      overhead.observe({ endpoint: l.endpoint }, Math.max(0, e.totalMs - e.upstreamMs) / 1000);
      const t = { provider: l.provider, model: l.model, key: l.key, team: l.team };
      if (e.inputTokens) tokens.inc({ ...t, type: 'input' }, e.inputTokens);
      if (e.outputTokens) tokens.inc({ ...t, type: 'output' }, e.outputTokens);
      if (e.costMicros) cost.inc(t, e.costMicros / 1_000_000);
    },
    toolCall(e) {
      toolCalls.inc({ server: e.server, method: e.method, tool: tool(e.tool ?? ''), key: key(e.keyId), decision: e.decision, outcome: e.outcome });
      if (e.upstreamMs !== null) toolDuration.observe({ server: e.server, method: e.method }, e.upstreamMs / 1000);
    },
    denial(d) {
      denials.inc({ door: d.door, code: d.code, rule: rule(d.rule) });
    },
    render: () => reg.metrics(),
  };
}
