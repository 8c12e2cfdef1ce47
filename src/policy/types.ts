// The policy engine's vocabulary: who is calling, what they call, and the decisions steps return as values.
import type { ErrorCode } from '../errors.js';

export type PiiMode = 'off' | 'redact' | 'block' | 'audit';
export type BudgetPeriod = 'daily' | 'monthly' | 'total';

/** The rules a team or a key carries; a call must pass both its key's and its team's. */
export interface AccessPolicy {
  /** Model patterns (`openai/*`, an alias name, `*`). */
  models: string[];
  /** MCP tool patterns over federated names (`github__*`, `fs__read_*`, `*`). */
  tools: string[];
  /** MCP server ids whose resources and prompts may be used (`*` for all). */
  mcpServers: string[];
  budgets: Array<{ period: BudgetPeriod; usd: number; per: 'key' | 'session' }>;
  rateLimits: { requestsPerMinute?: number; tokensPerMinute?: number; toolCallsPerMinute?: number };
  pii: PiiMode | null;
}

export interface Principal {
  /** The virtual key's id, or null when the gateway runs open (no keys configured). */
  keyId: string | null;
  teamId: string | null;
  key: AccessPolicy | null;
  team: AccessPolicy | null;
  metadata: Record<string, string>;
}

/** The model doors: chat completions, embeddings, and the agent doors (OpenAI Responses, Anthropic Messages). */
export type ModelDoorName = 'chat' | 'embeddings' | 'responses' | 'messages';
export type Door = ModelDoorName | 'tool' | 'resource' | 'prompt';

/** Why a call was refused, as a value; the edge renders it as an OpenAI error or an MCP result. */
export interface Denial {
  code: Extract<ErrorCode, 'forbidden' | 'rate_limit_exceeded' | 'insufficient_quota' | 'content_blocked'>;
  /** The step and rule that decided, e.g. `authorize:models`. */
  rule: string;
  message: string;
  headers?: Record<string, string>;
}

export interface Decision {
  step: string;
  decision: 'allowed' | 'denied' | 'redacted' | 'flagged';
  rule?: string;
  reason?: string;
  /** PII finding counts by type; never the values. */
  findings?: Record<string, number>;
}
