// Prometheus metrics (prom-client, one registry per gateway): what the gateway records on each call, with bounded label values.
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
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
  /** A provider billed more than a budget reserved; `scope` is the budget's kind (key, team, session). */
  budgetOverrun(scope: string): void;
  /** A response-cache verdict for a model call or tool call, and a hit's avoided cost. */
  cache(door: string, result: 'hit' | 'miss' | 'bypass', savedMicros: number | null | undefined): void;
  /** A tool definition recorded as not approved: `kind` is changed, added, new_server, config_mismatch or suspicious. */
  toolDrift(server: string, kind: string): void;
  /** The tools of a server held back (enforce) or flagged (audit) at its latest listing. */
  toolsQuarantined(server: string, count: number): void;
  /** One prompt-injection finding in a definition (`kind` tool, prompt, resource, resourceTemplate) or a result. */
  injectionFindings(server: string, kind: string, rule: string, severity: string): void;
  /** An admin-key attempt that failed: `wrong` (a wrong key, counted by the throttle) or `refused` (throttled, 429). */
  adminAuthFailure(surface: 'api' | 'console', outcome: 'wrong' | 'refused'): void;
  render(): Promise<string>;
}

/** For `telemetry.metrics.enabled: false`: nothing recorded on the hot path, nothing served. */
export function disabledMetrics(): Metrics {
  const noop = (): void => undefined;
  return { contentType: 'text/plain', http: noop, llmCall: noop, toolCall: noop, denial: noop, budgetOverrun: noop, cache: noop, toolDrift: noop, toolsQuarantined: noop, injectionFindings: noop, adminAuthFailure: noop, render: async () => '' };
}

const SLOW = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const FAST = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

/** Longest label value kept; longer ones are cut (a label is a name, not a payload). */
export const LABEL_MAX_CHARS = 128;

/** Caps the distinct values of a label (clients can name any `provider/model`) and their length; later ones become `_other`. */
export function boundedLabel(max: number): (v: string | null | undefined) => string {
  const seen = new Set<string>();
  return (v) => {
    const s = v ? v.slice(0, LABEL_MAX_CHARS) : 'none';
    if (seen.has(s)) return s;
    if (seen.size >= max) return '_other';
    seen.add(s);
    return s;
  };
}

/** Whether a model name comes from config; anything else a client typed is labelled `other`. */
export type KnownModel = (provider: string | null, model: string) => boolean;

/** What knownModels reads: the live config and providers (both swapped by a reload). */
export interface ModelSource {
  config: { models: Record<string, { targets: Array<{ model: string }>; rules: Array<{ targets: Array<{ model: string }> }> }> };
  providers: ReadonlyMap<string, { models(): string[] }>;
}

/**
 * Known: an alias, `<provider>/<model>` or a bare model a configured provider declares, or the
 * target of an alias. With a provider, the (upstream) model must be one of that provider's.
 */
export function knownModels(source: () => ModelSource): KnownModel {
  let built: { from: ModelSource['providers']; names: Set<string>; served: Set<string> } | null = null;
  const sets = () => {
    const { config, providers } = source();
    if (built?.from === providers) return built;
    const names = new Set(Object.keys(config.models));
    const served = new Set<string>();
    const add = (p: string, m: string) => {
      served.add(`${p}/${m}`);
      names.add(`${p}/${m}`);
      names.add(m);
    };
    for (const [id, p] of providers) for (const m of p.models()) add(id, m);
    for (const a of Object.values(config.models)) {
      for (const t of [...a.targets, ...a.rules.flatMap((r) => r.targets)]) {
        const slash = t.model.indexOf('/');
        if (slash > 0) add(t.model.slice(0, slash), t.model.slice(slash + 1));
      }
    }
    return (built = { from: providers, names, served });
  };
  return (provider, model) => (provider === null ? sets().names.has(model) : sets().served.has(`${provider}/${model}`));
}

/** Breakers exist for every target ever called, typed ones included: only configured targets are exported. */
function knownTargets<T extends { key: string }>(read: () => Iterable<T>, known: KnownModel): () => Iterable<T> {
  return function* () {
    for (const t of read()) {
      const slash = t.key.indexOf('/');
      if (slash > 0 && known(t.key.slice(0, slash), t.key.slice(slash + 1))) yield t;
    }
  };
}

export function createMetrics(opts: { processMetrics: boolean; sources: MetricsSources; knownModel?: KnownModel }): Metrics {
  const registers = [new Registry()];
  const reg = registers[0]!;
  if (opts.processMetrics) collectDefaultMetrics({ register: reg });
  const boundedModel = boundedLabel(500);
  const known = opts.knownModel ?? (() => false);
  // Requested names are client input (900 KB names, e-mail addresses): only configured ones become label values.
  const model = (provider: string | null, m: string | null) => (m === null ? 'none' : known(provider, m) ? boundedModel(m) : 'other');
  const key = boundedLabel(5000);
  const team = boundedLabel(1000);
  const tool = boundedLabel(2000);
  const route = boundedLabel(100);
  const rule = boundedLabel(500);
  const provider = boundedLabel(200);
  const server = boundedLabel(500);

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
  const cacheRequests = new Counter({ name: 'gateway_cache_requests_total', help: 'Response-cache lookups by door and result (hit|miss|bypass).', labelNames: ['door', 'result'], registers });
  const cacheSaved = new Counter({ name: 'gateway_cache_saved_dollars_total', help: 'What cache hits would have cost, in US dollars.', labelNames: ['door'], registers });
  const overruns = new Counter({ name: 'gateway_budget_overrun_total', help: 'Model calls that cost more than their budget reservation, by budget scope kind.', labelNames: ['scope'], registers });
  const drift = new Counter({ name: 'gateway_mcp_tool_drift_total', help: 'MCP tool definitions recorded as not approved (changed, added, new_server, config_mismatch, suspicious), by server.', labelNames: ['server', 'kind'], registers });
  const quarantined = new Gauge({ name: 'gateway_mcp_tool_quarantined', help: 'Tools of an MCP server held back (enforce) or flagged (audit) by tool pinning at its latest listing.', labelNames: ['server'], registers });
  const adminAuth = new Counter({ name: 'gateway_admin_auth_failures_total', help: 'Failed admin-key attempts (admin API and /metrics: api; console login: console), wrong or refused by the throttle.', labelNames: ['surface', 'outcome'], registers });
  const injection = new Counter({ name: 'gateway_mcp_injection_findings_total', help: 'Prompt-injection scan findings in MCP definitions (once per fetched list) and results, by server, kind, rule and severity.', labelNames: ['server', 'kind', 'rule', 'severity'], registers });
  registerScrapeGauges(reg, { ...opts.sources, breakers: opts.sources.breakers && knownTargets(opts.sources.breakers, known) });

  return {
    contentType: reg.contentType,
    http(r, method, status, seconds) {
      const labels = { route: route(r), method, status: String(status) };
      httpRequests.inc(labels);
      httpDuration.observe({ route: labels.route }, seconds);
    },
    llmCall(e) {
      const l = { endpoint: e.endpoint, provider: provider(e.provider), model: model(e.provider, e.model), key: key(e.keyId), team: team(e.team) };
      // Literals, not { ...l, status }: spread-then-add takes V8 11's slow path (µs per object); the key order is the
      // order /metrics prints the labels in.
      llmRequests.inc({ endpoint: l.endpoint, provider: l.provider, model: l.model, key: l.key, team: l.team, status: String(e.status) });
      if (e.errorCode) llmErrors.inc({ endpoint: l.endpoint, provider: l.provider, model: l.model, key: l.key, team: l.team, code: e.errorCode });
      const h = { endpoint: l.endpoint, provider: l.provider, model: l.model };
      llmDuration.observe(h, e.totalMs / 1000);
      if (e.upstreamMs > 0) upstreamDuration.observe(h, e.upstreamMs / 1000);
      overhead.observe({ endpoint: l.endpoint }, Math.max(0, e.totalMs - e.upstreamMs) / 1000);
      const t = { provider: l.provider, model: l.model, key: l.key, team: l.team };
      if (e.inputTokens) tokens.inc({ provider: t.provider, model: t.model, key: t.key, team: t.team, type: 'input' }, e.inputTokens);
      if (e.outputTokens) tokens.inc({ provider: t.provider, model: t.model, key: t.key, team: t.team, type: 'output' }, e.outputTokens);
      if (e.costMicros) cost.inc(t, e.costMicros / 1_000_000);
    },
    toolCall(e) {
      const s = server(e.server);
      toolCalls.inc({ server: s, method: e.method, tool: tool(e.tool ?? ''), key: key(e.keyId), decision: e.decision, outcome: e.outcome });
      if (e.upstreamMs !== null) toolDuration.observe({ server: s, method: e.method }, e.upstreamMs / 1000);
    },
    denial(d) {
      denials.inc({ door: d.door, code: d.code, rule: rule(d.rule) });
    },
    budgetOverrun(scope) {
      overruns.inc({ scope: scope === 'key' || scope === 'team' || scope === 'session' ? scope : 'other' });
    },
    cache(door, result, savedMicros) {
      cacheRequests.inc({ door, result });
      if (result === 'hit' && savedMicros) cacheSaved.inc({ door }, savedMicros / 1_000_000);
    },
    toolDrift(s, kind) {
      drift.inc({ server: server(s), kind });
    },
    toolsQuarantined(s, count) {
      quarantined.set({ server: server(s) }, count);
    },
    injectionFindings(s, kind, rule, severity) {
      injection.inc({ server: server(s), kind, rule, severity });
    },
    adminAuthFailure(surface, outcome) {
      adminAuth.inc({ surface, outcome });
    },
    render: () => reg.metrics(),
  };
}
