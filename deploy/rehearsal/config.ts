// The one gateway.yaml every replica runs, and the secrets it reads from the environment (keys, admin key, signing key).
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { interpolate, parseConfig } from '../../src/config.js';

/** Output tokens priced at $500 per million and input free: a call answering "echo: burst" (2 tokens) costs exactly $0.001. */
export const PRICE = { input: 0, output: 500 };
export const BURST_COST_MICROS = 1_000;
export const BURST_PROMPT = 'burst';
export const BURST_MAX_TOKENS = 2;
export const MODEL = 'up/gpt-4o-mini';

export interface KeySecret {
  id: string;
  key: string;
  /** The environment variable gateway.yaml reads the key from. */
  env: string;
}

export interface BurstKey extends KeySecret {
  /** Calls the budget admits: the reservation of each call equals its cost, so exactly this many. */
  allowed: number;
  limitUsd: number;
}

export interface RateKey extends KeySecret {
  perMinute: number;
}

export interface Plan {
  replicas: number;
  /** One budget burst and one rate-limit burst per restart. */
  restarts: number;
  burstCalls: number;
  burstAllowed: number;
  rateCalls: number;
  ratePerMinute: number;
  shutdownGraceMs: number;
}

export interface RehearsalConfig {
  path: string;
  /** Everything the replicas need in their environment besides ports and storage URLs. */
  env: Record<string, string>;
  adminKey: string;
  agent: KeySecret;
  bursts: BurstKey[];
  rates: RateKey[];
}

const secret = (prefix: string) => `${prefix}-${randomBytes(18).toString('base64url')}`;

export function writeRehearsalConfig(o: { dir: string; runId: string; plan: Plan; upstreamUrl: string; mcpUrl: string }): RehearsalConfig {
  const { plan, runId } = o;
  const mk = (name: string, i?: number): KeySecret => {
    const suffix = i === undefined ? '' : `_${i}`;
    return { id: `rehearsal-${name}${i === undefined ? '' : `-${i}`}-${runId}`, key: secret(`sk-gw-${name}`), env: `REHEARSAL_${name.toUpperCase()}_KEY${suffix}` };
  };
  const agent = mk('agent');
  const bursts: BurstKey[] = Array.from({ length: plan.restarts }, (_, i) => ({
    ...mk('burst', i),
    allowed: plan.burstAllowed,
    limitUsd: (plan.burstAllowed * BURST_COST_MICROS) / 1_000_000,
  }));
  const rates: RateKey[] = Array.from({ length: plan.restarts }, (_, i) => ({ ...mk('rate', i), perMinute: plan.ratePerMinute }));
  const yaml = {
    logLevel: 'info',
    server: { host: '127.0.0.1', shutdownGraceMs: plan.shutdownGraceMs },
    providers: {
      up: { kind: 'openai-compatible', baseUrl: `${o.upstreamUrl}/v1`, apiKey: 'sk-upstream-rehearsal', models: ['gpt-4o-mini'], prices: { 'gpt-4o-mini': PRICE } },
    },
    mcpServers: { fixture: { type: 'http', url: o.mcpUrl } },
    // Short flush intervals only so the run reads its own trail sooner; the defaults are fine in production.
    audit: { flushIntervalMs: 100 },
    requestLog: { flushIntervalMs: 200 },
    // Used only while Redis is unreachable: each replica then enforces limit / replicas on its own.
    policy: { replicas: plan.replicas },
    keys: [
      { id: agent.id, key: `\${${agent.env}}`, budgets: [{ period: 'total', usd: 100 }], rateLimits: { requestsPerMinute: 100_000 } },
      ...bursts.map((b) => ({ id: b.id, key: `\${${b.env}}`, models: [MODEL], mcpServers: [], budgets: [{ period: 'total', usd: b.limitUsd }] })),
      ...rates.map((r) => ({ id: r.id, key: `\${${r.env}}`, models: [MODEL], mcpServers: [], rateLimits: { requestsPerMinute: r.perMinute } })),
    ],
  };
  const adminKey = secret('gw-admin');
  const env: Record<string, string> = {
    GATEWAY_ADMIN_KEY: adminKey,
    // One signing key for every replica: checkpoints any of them writes verify on all (README "Threat model").
    GATEWAY_AUDIT_SIGNING_KEY: randomBytes(32).toString('base64'),
    [agent.env]: agent.key,
    ...Object.fromEntries([...bursts, ...rates].map((k) => [k.env, k.key])),
  };
  // Fail here, with the schema's message, rather than in three replicas at once.
  parseConfig(interpolate(structuredClone(yaml), env), env);
  const path = join(o.dir, 'gateway.yaml');
  writeFileSync(path, `# Written by deploy/rehearsal for run ${runId}; keys come from the environment.\n${stringify(yaml)}`);
  return { path, env, adminKey, agent, bursts, rates };
}
