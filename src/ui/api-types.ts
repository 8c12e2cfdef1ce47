// The admin API's answers as the console reads them (spend and health have no exported types: their routes build them inline).
export type { BudgetView } from '../admin/budgets-service.js';
export type { KeyView } from '../admin/keys-service.js';
export type { ToolPinView } from '../admin/tool-pins-service.js';
export type { TeamRecord as TeamView } from '../policy/key-store.js';
export type { EventView, SessionView, Timeline, VerifyResult } from '../tracing/sessions-service.js';

export interface SpendPoint {
  t: string;
  costUsd: number;
  inputTokens: number;
  outputTokens: number;
  requests: number;
}

export interface SpendSeries {
  from: string;
  to: string;
  bucket: 'hour' | 'day';
  groupBy: 'key' | 'team' | 'model';
  series: Array<{ group: string | null; other?: boolean; points: SpendPoint[] }>;
}

export interface TopSession {
  sessionId: string;
  keyId: string | null;
  costUsd: number;
  calls: number;
  firstAt: string;
  lastAt: string;
}

export type Breaker = 'closed' | 'open' | 'half-open';

export interface WriterStatus {
  enabled?: boolean;
  queued: number;
  queuedBytes: number;
  spooled: number;
  deadLettered: number;
  dropped?: number;
  failures?: number;
  accepting: boolean;
}

export interface HealthReport {
  time?: string;
  providers: Array<{ id: string; kind: string; targets: Array<{ model: string; breaker: Breaker; breakerReason?: string | null; errorRate: number | null; latencyP50Ms: number | null }>; moreTargets?: number }>;
  mcpServers: Array<{ id: string; transport?: string | null; status: string; error?: string | null; breaker: Breaker; errorRate: number | null; latencyP50Ms: number | null; tools: number | null; calls?: number | null }>;
  mcpWindowSeconds?: number;
  writers: { requestLog: WriterStatus; audit: WriterStatus; budgetSpend?: WriterStatus | null };
}
