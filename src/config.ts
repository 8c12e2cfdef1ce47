// The one config schema (gateway.yaml + env), validated once at boot; the only reader of process.env.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { policyFields } from './policy/policy-schema.js';
import { optionalSecret, ProviderConfigSchema } from './providers/config-schema.js';
import { AliasSchema, RoutingSchema } from './routing/schema.js';
import { McpServerConfigSchema, mcpServerIdSchema, McpSettingsSchema, VirtualServerSchema } from './mcp/upstream/config-schema.js';
import { applyOtelEnv, TelemetrySchema } from './tracing/telemetry-config.js';
import { AuditConfigSchema, RequestLogConfigSchema } from './tracing/trail-config.js';
import { ResponsesConfigSchema } from './storage/responses-retention.js';
import { CacheConfigSchema } from './cache/config-schema.js';
import { OAuthConfigSchema } from './http/oauth-config.js';
import { parseProxyEntry } from './http/client-address.js';

export { ProviderConfigSchema, type PriceOverride, type ProviderConfig, type ProviderKind, type Timeouts } from './providers/config-schema.js';

const providerIdSchema = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/, 'must be letters, digits, "_", "." or "-"');

export { AliasSchema } from './routing/schema.js';

/** A team declared in config (GitOps): its rules bind every key of the team. */
export const TeamConfigSchema = z.object({ name: z.string().optional(), ...policyFields }).strict();

/** A virtual key declared in config (GitOps): the key itself via `${ENV}`, or its sha256 hash. */
export const KeyConfigSchema = z
  .object({
    id: z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", "." or "-"'),
    key: z.string().min(16, 'must be at least 16 characters').optional(),
    hash: z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be "sha256:<64 hex digits>"').optional(),
    team: z.string().optional(),
    expiresAt: z.coerce.date().optional(),
    metadata: z.record(z.string(), z.string()).default({}),
    ...policyFields,
  })
  .strict()
  .refine((k) => (k.key === undefined) !== (k.hash === undefined), 'give exactly one of "key" or "hash"');

export const GatewayConfigSchema = z
  .object({
    server: z
      .object({
        port: z.number().int().min(0).max(65535).default(8080),
        host: z.string().default('127.0.0.1'),
        /** Largest accepted request body. */
        bodyLimitBytes: z.number().int().positive().default(20 * 1024 * 1024),
        /** Largest accepted /admin request body (keys, teams: small JSON). */
        adminBodyLimitBytes: z.number().int().positive().default(1024 * 1024),
        /** How long shutdown waits for in-flight requests and streams. */
        shutdownGraceMs: z.number().int().positive().default(25_000),
        /** Proxies (addresses or CIDR blocks) whose X-Forwarded-For names the client; from any other peer it is ignored. */
        trustedProxies: z
          .array(z.string().refine((e) => parseProxyEntry(e) !== null, 'must be an IP address or a CIDR block, e.g. 10.0.0.0/8 or fd00::/8'))
          .max(256)
          .default([]),
      })
      .strict()
      .default({ port: 8080, host: '127.0.0.1', bodyLimitBytes: 20 * 1024 * 1024, adminBodyLimitBytes: 1024 * 1024, shutdownGraceMs: 25_000, trustedProxies: [] }),
    storage: z
      .object({
        databaseUrl: z.string().optional(),
        dataDir: z.string().default('./.gateway'),
        redisUrl: z.string().optional(),
      })
      .strict()
      .default({ dataDir: './.gateway' }),
    requestLog: RequestLogConfigSchema.default(RequestLogConfigSchema.parse({})),
    /** The per-session audit trail (see README "Audit trail"). */
    audit: AuditConfigSchema.default(AuditConfigSchema.parse({})),
    /** Stored responses of the Responses door (`store`, `previous_response_id`). */
    responses: ResponsesConfigSchema.default(ResponsesConfigSchema.parse({})),
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    providers: z.record(providerIdSchema, ProviderConfigSchema).default({}),
    models: z.record(z.string().min(1), AliasSchema).default({}),
    /** Breakers, retry budget, active health checks: shared by every alias and target. */
    routing: RoutingSchema.default(RoutingSchema.parse({})),
    teams: z.record(z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/), TeamConfigSchema).default({}),
    /**
     * Keys declared here, beside those created with the admin API or CLI. With no key anywhere and
     * no admin key the gateway is open to anyone who can reach it (a local dev proxy).
     */
    keys: z.array(KeyConfigSchema).default([]),
    policy: z
      .object({
        /** A model the price table does not know: `allow` (flagged cost_unknown, counted as $0) or `deny` when budgets apply. */
        unpricedModels: z.enum(['allow', 'deny']).default('allow'),
        /** PII mode for keys and teams that set none. */
        pii: z.enum(['off', 'redact', 'block', 'audit']).default('off'),
        /** Worst-case output tokens for budget reservations when a request sets no max_tokens. */
        defaultMaxOutputTokens: z.number().int().positive().default(4096),
        /** Gateway replicas sharing Redis: each keeps limit/replicas when Redis is unreachable. */
        replicas: z.number().int().positive().default(1),
        /** How long a budget or rate-limit command may wait on Redis before the store counts Redis as down. */
        redisCommandTimeoutMs: z.number().int().min(10).max(10_000).default(250),
        /**
         * What a call gets while Redis is down. Budgets: `closed` (503 with retry-after: money is never spent
         * unchecked) or `open` (the call passes unbudgeted, flagged in the trace). Rate limits: `local` (each replica
         * enforces limit / replicas in memory), `open` (unlimited) or `closed` (503).
         */
        redisFailure: z
          .object({
            budgets: z.enum(['closed', 'open']).default('closed'),
            rateLimits: z.enum(['local', 'open', 'closed']).default('local'),
          })
          .strict()
          .default({ budgets: 'closed', rateLimits: 'local' }),
      })
      .strict()
      .default({
        unpricedModels: 'allow',
        pii: 'off',
        defaultMaxOutputTokens: 4096,
        replicas: 1,
        redisCommandTimeoutMs: 250,
        redisFailure: { budgets: 'closed', rateLimits: 'local' },
      }),
    auth: z
      .object({
        /** GATEWAY_ADMIN_KEY overrides; without one the admin API is off. */
        adminKey: optionalSecret,
        /** How long a key lookup is cached; revocations reach other replicas at once through Redis. */
        keyCacheTtlMs: z.number().int().min(0).default(30_000),
        /** OAuth 2.1 for MCP clients: bearer JWTs from this issuer beside virtual keys (README "OAuth for MCP clients"). */
        oauth: OAuthConfigSchema.optional(),
        /**
         * Failed admin-key attempts (admin API, /metrics, console login) per client address and window: past
         * `maxFailures`, every attempt from that address is refused (429), the right key included, until the window
         * ends. Shared through Redis when set. `maxFailures: 0` turns it off.
         */
        adminThrottle: z
          .object({
            maxFailures: z.number().int().min(0).max(1_000_000).default(10),
            windowSeconds: z.number().int().min(1).max(86_400).default(60),
          })
          .strict()
          .default({ maxFailures: 10, windowSeconds: 60 }),
      })
      .strict()
      .default({ keyCacheTtlMs: 30_000, adminThrottle: { maxFailures: 10, windowSeconds: 60 } }),
    /** Upstream MCP servers the hub federates at /mcp, each also served alone at /mcp/<id>. */
    mcpServers: z.record(mcpServerIdSchema, McpServerConfigSchema).default({}),
    /** Curated subsets of the federated catalog, served at /mcp/<id>. */
    virtualServers: z.record(mcpServerIdSchema, VirtualServerSchema).default({}),
    mcp: McpSettingsSchema.default(McpSettingsSchema.parse({})),
    /** Response caching of model calls (exact, semantic per model) and opt-in tool-result caching. */
    cache: CacheConfigSchema.default(CacheConfigSchema.parse({})),
    /** OpenTelemetry tracing (filled from the standard OTEL_* variables) and /metrics. */
    telemetry: TelemetrySchema.default(TelemetrySchema.parse({})),
  })
  .strict();

export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

type Env = Record<string, string | undefined>;

/** Replaces `${VAR}` and `${VAR:-default}` in every string of the parsed YAML. */
export function interpolate(value: unknown, env: Env, path: string[] = []): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{[^}]+\}$/.test(value);
    const out = value.replace(/\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g, (_m, name: string, fallback?: string) => {
      const v = env[name];
      if (v !== undefined && v !== '') return v;
      if (fallback !== undefined) return fallback;
      throw new ConfigError(`${path.join('.') || '(root)'}: environment variable ${name} is not set`);
    });
    // `port: ${PORT}` should give a number, as if the value had been written in the YAML.
    if (whole && /^-?\d+(\.\d+)?$/.test(out)) return Number(out);
    if (whole && (out === 'true' || out === 'false')) return out === 'true';
    return out;
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolate(v, env, [...path, String(i)]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolate(v, env, [...path, k])]));
  }
  return value;
}

/** Providers the gateway offers with no config file: one per provider key found in the environment, plus `mock`. */
function defaultProviders(env: Env): Record<string, unknown> {
  const p: Record<string, unknown> = { mock: { kind: 'mock', models: ['echo'] } };
  if (env.OPENAI_API_KEY) p.openai = { kind: 'openai', apiKey: env.OPENAI_API_KEY, baseUrl: env.OPENAI_BASE_URL };
  if (env.ANTHROPIC_API_KEY) p.anthropic = { kind: 'anthropic', apiKey: env.ANTHROPIC_API_KEY, baseUrl: env.ANTHROPIC_BASE_URL };
  const gemini = env.GEMINI_API_KEY ?? env.GOOGLE_API_KEY;
  if (gemini) p.gemini = { kind: 'gemini', apiKey: gemini, baseUrl: env.GEMINI_BASE_URL };
  if (env.AZURE_OPENAI_API_KEY && env.AZURE_OPENAI_ENDPOINT) {
    p.azure = { kind: 'azure-openai', apiKey: env.AZURE_OPENAI_API_KEY, baseUrl: env.AZURE_OPENAI_ENDPOINT };
  }
  for (const [id, kind, keyVar, url] of [
    ['groq', 'openai-compatible', 'GROQ_API_KEY', 'https://api.groq.com/openai/v1'],
    ['mistral', 'openai-compatible', 'MISTRAL_API_KEY', 'https://api.mistral.ai/v1'],
    ['deepseek', 'openai-compatible', 'DEEPSEEK_API_KEY', 'https://api.deepseek.com/v1'],
    ['together', 'openai-compatible', 'TOGETHER_API_KEY', 'https://api.together.xyz/v1'],
    ['openrouter', 'openai-compatible', 'OPENROUTER_API_KEY', 'https://openrouter.ai/api/v1'],
  ] as const) {
    if (env[keyVar]) p[id] = { kind, apiKey: env[keyVar], baseUrl: url };
  }
  for (const v of Object.values(p)) {
    const o = v as Record<string, unknown>;
    if (o.baseUrl === undefined) delete o.baseUrl;
  }
  return p;
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => `  - ${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`)
    .join('\n');
}

/** Validates a raw config object (already interpolated) and applies env overrides. */
export function parseConfig(raw: unknown, env: Env = {}): GatewayConfig {
  const obj = (raw ?? {}) as Record<string, unknown>;
  if (typeof obj !== 'object' || Array.isArray(obj)) throw new ConfigError('config: the top level must be a mapping');
  const withDefaults = { ...obj, providers: obj.providers ?? defaultProviders(env) };
  const result = GatewayConfigSchema.safeParse(withDefaults);
  if (!result.success) throw new ConfigError(`invalid gateway config:\n${formatIssues(result.error)}`);
  const config = result.data;
  if (env.PORT !== undefined) config.server.port = parsePort(env.PORT);
  if (env.HOST) config.server.host = env.HOST;
  if (env.DATABASE_URL) config.storage.databaseUrl = env.DATABASE_URL;
  if (env.GATEWAY_DATA_DIR) config.storage.dataDir = env.GATEWAY_DATA_DIR;
  if (env.REDIS_URL) config.storage.redisUrl = env.REDIS_URL;
  if (env.GATEWAY_ADMIN_KEY) config.auth.adminKey = env.GATEWAY_ADMIN_KEY;
  if (env.GATEWAY_AUDIT_SIGNING_KEY) config.audit.signingKey = env.GATEWAY_AUDIT_SIGNING_KEY;
  config.telemetry = applyOtelEnv(config.telemetry, env, (m) => {
    throw new ConfigError(`invalid telemetry settings:\n  - ${m}`);
  });
  for (const [i, k] of config.keys.entries()) {
    if (k.team !== undefined && !config.teams[k.team]) throw new ConfigError(`invalid gateway config:\n  - keys.${i}.team: unknown team "${k.team}"`);
  }
  if (env.LOG_LEVEL) config.logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).parse(env.LOG_LEVEL);
  checkAliases(config);
  for (const id of Object.keys(config.virtualServers)) {
    if (config.mcpServers[id]) throw new ConfigError(`invalid gateway config:\n  - virtualServers.${id}: the id is already an mcpServers id`);
  }
  return config;
}

function parsePort(v: string): number {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new ConfigError(`PORT: "${v}" is not a port number`);
  return n;
}

function checkAliases(config: GatewayConfig): void {
  for (const [alias, def] of Object.entries(config.models)) {
    const lists = [{ at: `models.${alias}.targets`, targets: def.targets }];
    def.rules.forEach((r, i) => lists.push({ at: `models.${alias}.rules.${i}.targets`, targets: r.targets }));
    for (const { at, targets } of lists) {
      targets.forEach((t, i) => {
        const providerId = t.model.slice(0, t.model.indexOf('/'));
        if (!config.providers[providerId]) {
          throw new ConfigError(`invalid gateway config:\n  - ${at}.${i}.model: unknown provider "${providerId}"`);
        }
      });
    }
  }
}

export interface LoadedConfig {
  config: GatewayConfig;
  /** The file the config came from, if any. */
  source: string | null;
  env: Env;
}

/** Reads GATEWAY_CONFIG or ./gateway.yaml (if present), interpolates env, validates. Throws ConfigError. */
export function loadConfig(env: Env = process.env): LoadedConfig {
  const explicit = env.GATEWAY_CONFIG;
  const path = explicit ? resolve(explicit) : existsSync('gateway.yaml') ? resolve('gateway.yaml') : null;
  if (explicit && !existsSync(path!)) throw new ConfigError(`GATEWAY_CONFIG: file not found: ${path}`);
  return readConfigFile(path, env);
}

/** Reads and validates one config file (hot reload uses this with the file being watched). Throws ConfigError. */
export function loadConfigFrom(path: string, env: Env = process.env): LoadedConfig {
  if (!existsSync(path)) throw new ConfigError(`${path}: file not found`);
  return readConfigFile(resolve(path), env);
}

function readConfigFile(path: string | null, env: Env): LoadedConfig {
  let raw: unknown = {};
  if (path) {
    try {
      raw = parseYaml(readFileSync(path, 'utf8')) ?? {};
    } catch (err) {
      throw new ConfigError(`${path}: not valid YAML: ${(err as Error).message}`);
    }
    raw = interpolate(raw, env);
  }
  return { config: parseConfig(raw, env), source: path, env };
}
