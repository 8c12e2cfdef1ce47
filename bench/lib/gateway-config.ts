// Generates the gateway config for each bench mode; MODES is the block later features extend (policy, audit, metrics).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';
import { parseConfig } from '../../src/config.js';

export type ModeName = 'on' | 'off' | 'default';

export interface ModeSpec {
  description: string;
  /** Whether requests carry a virtual key (auth on, and rows countable by key id). */
  auth: boolean;
  /** Merged into the generated gateway.yaml. Add new features' "as users run it" settings to `on`. */
  config: Record<string, unknown>;
}

export const MODES: Record<ModeName, ModeSpec> = {
  on: {
    description: 'as users run it: virtual-key auth with a budget and rate limits (policy steps run), PII redact, Redis for limits and budgets, request log and audit trail to Postgres, metrics, info logging',
    auth: true,
    config: { logLevel: 'info', requestLog: {}, audit: { enabled: true }, telemetry: { metrics: { enabled: true } } },
  },
  off: {
    description: 'minimal: no keys (no policy), request log, audit trail and metrics off, warn logging',
    auth: false,
    config: { logLevel: 'warn', requestLog: { enabled: false }, audit: { enabled: false }, telemetry: { metrics: { enabled: false } } },
  },
  default: {
    description: 'embedded default: no DATABASE_URL (PGlite in a fresh GATEWAY_DATA_DIR), no Redis, no keys, every setting at its default (only the mock provider configured)',
    auth: false,
    config: {},
  },
};

export interface GeneratedConfig {
  path: string;
  mode: ModeName;
  keyId: string | null;
  key: string | null;
  /** MCP tool name through /mcp, or null when this gateway build has no mcpServers config. */
  mcpTool: string | null;
  notes: string[];
}

export function writeGatewayConfig(o: { dir: string; mode: ModeName; port: number; mockPort: number; mcpPort: number | null; runId: string }): GeneratedConfig {
  const spec = MODES[o.mode];
  const notes: string[] = [];
  const keyId = spec.auth ? `bench-${o.mode}-${o.runId}` : null;
  const key = spec.auth ? `sk-bench-${randomBytes(16).toString('hex')}` : null;
  const cfg: Record<string, unknown> = {
    server: { port: o.port, host: '127.0.0.1' },
    providers: {
      up: { kind: 'openai-compatible', baseUrl: `http://127.0.0.1:${o.mockPort}/v1`, apiKey: 'sk-upstream-bench', models: ['gpt-4o-mini'] },
    },
    ...structuredClone(spec.config),
  };
  // Limits far above the bench's load: the steps run (reserve, settle, count) without ever refusing.
  if (keyId && key) cfg.keys = [{ id: keyId, key, pii: 'redact', budgets: [{ period: 'total', usd: 1_000_000 }], rateLimits: { requestsPerMinute: 10_000_000, tokensPerMinute: 1_000_000_000 } }];
  if (!accepts(cfg) && o.mode === 'off') {
    // An older gateway without the switch: fall back to the lightest settings it has.
    cfg.requestLog = { flushIntervalMs: 60_000, maxBatch: 100_000 };
    notes.push('requestLog.enabled not supported; off mode used a 60 s flush interval instead');
  }
  let mcpTool: string | null = null;
  if (o.mcpPort !== null) {
    const withMcp = { ...cfg, mcpServers: { bench: { type: 'http', url: `http://127.0.0.1:${o.mcpPort}/mcp` } } };
    if (accepts(withMcp)) {
      Object.assign(cfg, withMcp);
      mcpTool = 'bench__echo';
    } else notes.push('config has no mcpServers: MCP leg skipped');
  }
  if (!accepts(cfg)) throw new Error(`generated config for mode ${o.mode} is invalid: ${reason(cfg)}`);
  const path = `${o.dir}/gateway-${o.mode}.yaml`;
  writeFileSync(path, stringify(cfg));
  return { path, mode: o.mode, keyId, key, mcpTool, notes };
}

function accepts(cfg: unknown): boolean {
  return reason(cfg) === null;
}

function reason(cfg: unknown): string | null {
  try {
    parseConfig(structuredClone(cfg), {});
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
