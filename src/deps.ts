// createDeps(config): the long-lived services (storage, writers, policy stores, hub, tracing) and the current runtime snapshot.
import type { GatewayConfig } from './config.js';
import { createInflight, type Inflight } from './http/inflight.js';
import { createLogger, type Logger } from './log.js';
import { createDefinitionScanner, type DefinitionScanner } from './mcp/guard/definition-scan.js';
import { createToolGuard, TOOL_PINS_CHANNEL, type ToolGuard } from './mcp/guard/tool-pins.js';
import { createHub, type Hub } from './mcp/upstream/hub.js';
import { closeUpstreamAgents } from './providers/http.js';
import { createAdminThrottle, type AdminThrottle } from './admin/auth-throttle.js';
import { createKeysService, type AdminKeysService } from './admin/keys-service.js';
import { createToolPinsService, type ToolPinsService } from './admin/tool-pins-service.js';
import { createEmbedder } from './cache/embed.js';
import { createMemoryStore } from './cache/memory-store.js';
import { createRedisStore } from './cache/redis-store.js';
import { createResponseCache, type ResponseCache } from './cache/response-cache.js';
import { createSemanticIndex } from './cache/semantic-index.js';
import { lazySemanticIndex } from './cache/semantic-lazy.js';
import { KEY_INVALIDATION_CHANNEL } from './policy/key-store.js';
import { createPolicyStores, type PolicyStores } from './policy/policy.js';
import { createSpendLedger } from './policy/spend-ledger.js';
import { createHealthRegistry, type HealthRegistry } from './routing/health.js';
import { buildRuntime, type Runtime } from './runtime.js';
import { openDatabase, type Database } from './storage/db.js';
import { openRedis, type SharedRedis } from './storage/redis.js';
import { createResponsesRetention } from './storage/responses-retention.js';
import { createRepo, type Repo } from './storage/repo.js';
import { toolPinsRepo } from './storage/tool-pins-repo.js';
import { createAuditTrail, type AuditTrail } from './tracing/audit.js';
import { createCheckpoints, type Checkpoints } from './tracing/checkpoints.js';
import { createMetrics, disabledMetrics, knownModels, type Metrics } from './tracing/metrics.js';
import { createTracing, currentTraceIds, type Tracing } from './tracing/otel.js';
import { createRequestLogWriter, disabledRequestLog, type RequestLogWriter } from './tracing/request-log.js';

/** Fields of the runtime that Deps still offers directly while callers move to `deps.runtime`. */
type RuntimeAliases = Pick<Runtime, 'config' | 'keys' | 'policy' | 'prices' | 'providers' | 'resolver' | 'router'>;
const ALIASES = ['config', 'keys', 'policy', 'prices', 'providers', 'resolver', 'router'] as const satisfies ReadonlyArray<keyof RuntimeAliases>;

export interface Deps extends RuntimeAliases {
  /**
   * Everything the config decides, as one snapshot; a config reload replaces it with one assignment. Read it once
   * per request (`const rt = deps.runtime`) so one request never mixes two configs.
   *
   * `deps.config`, `deps.keys`, `deps.policy`, `deps.prices`, `deps.providers`, `deps.resolver` and `deps.router` are
   * deprecated aliases that read `deps.runtime` (assigning one replaces the snapshot with a copy: tests only).
   */
  runtime: Runtime;
  log: Logger;
  database: Database;
  repo: Repo;
  /** Shared state across replicas (REDIS_URL); null means in-process state. */
  redis: SharedRedis | null;
  requestLog: RequestLogWriter;
  /** Per-session audit trail (batched, hash-chained); brokers call recordCall. */
  audit: AuditTrail;
  /** Signed checkpoints of every session's chain tip, and verification against them. */
  checkpoints: Checkpoints;
  /** Keys and teams management (admin API and CLI). */
  admin: AdminKeysService;
  /** Failed admin-key attempts per client address (admin API, /metrics, console login); shared through Redis when set. */
  adminThrottle: AdminThrottle;
  /** Budget, rate-limit and token-counting state; survives config reloads. */
  policyStores: PolicyStores;
  /** Breakers and target health; survives config reloads (each runtime's router reads it). */
  health: HealthRegistry;
  /** Upstream MCP servers (clients, catalogs, health); reconciled with the runtime's catalog on reload. */
  hub: Hub;
  /** Tool pinning: which upstream tools may be listed and called (definitions pinned, changed ones held back). */
  toolGuard: ToolGuard;
  /** The prompt-injection scan of upstream definitions and results (findings logged and counted; blocks in block mode). */
  definitionScan: DefinitionScanner;
  /** Reviewing pinned tool definitions (admin API and console). */
  toolPins: ToolPinsService;
  inflight: Inflight;
  /** OpenTelemetry spans (off unless an OTLP exporter is configured) and Prometheus metrics. */
  tracing: Tracing;
  metrics: Metrics;
  /** Exact and semantic answers of model calls and results of cacheable tools (Redis when set, else in-process). */
  cache: ResponseCache;
  state: { shuttingDown: boolean };
  /** Flushes writers and closes connections; call after the server stopped taking requests (and MCP sessions closed). */
  close(): Promise<void>;
}

/** The deprecated aliases: getters over the current runtime; a setter swaps in a copy with that one part replaced. */
function withRuntimeAliases(base: Omit<Deps, keyof RuntimeAliases>): Deps {
  for (const k of ALIASES) {
    Object.defineProperty(base, k, {
      enumerable: true,
      get: () => base.runtime[k],
      set: (v: unknown) => void (base.runtime = { ...base.runtime, [k]: v }),
    });
  }
  return base as Deps;
}

const NO_PINS: Readonly<Record<string, string>> = Object.freeze({});

export async function createDeps(config: GatewayConfig, opts: { log?: Logger } = {}): Promise<Deps> {
  const log = opts.log ?? createLogger(config.logLevel);
  const database = await openDatabase(config.storage);
  const repo = createRepo(database.db);
  const responsesRetention = createResponsesRetention(repo, config.responses, log);
  const redis = await openRedis(config.storage.redisUrl, log);
  const requestLog = config.requestLog.enabled ? await createRequestLogWriter(config, repo, log) : disabledRequestLog();
  const audit = await createAuditTrail(config, repo, log);
  const tracing = await createTracing(config.telemetry, log);
  if (tracing.enabled) audit.useTraceContext(currentTraceIds);
  const policyStores = createPolicyStores(config, redis, createSpendLedger(repo, log));
  const health = createHealthRegistry(config.routing);
  const hub = createHub({ servers: config.mcpServers, settings: config.mcp, log });
  const checkpoints = createCheckpoints(config, repo, log);
  const pinsRepo = toolPinsRepo(database.db);
  const staticPins = (sid: string) => deps.runtime.config.mcpServers[sid]?.pins ?? NO_PINS;
  const definitionScan = createDefinitionScanner({
    settings: () => deps.runtime.config.mcp.injectionScan,
    pinning: () => deps.runtime.config.mcp.pinning.mode !== 'off',
    log,
    metrics: { injectionFindings: (s, k, r, v) => deps.metrics.injectionFindings(s, k, r, v) },
  });
  const toolGuard = createToolGuard({
    repo: pinsRepo,
    hub,
    settings: () => deps.runtime.config.mcp.pinning,
    staticPins,
    log,
    metrics: { toolDrift: (s, k) => deps.metrics.toolDrift(s, k), toolsQuarantined: (s, n) => deps.metrics.toolsQuarantined(s, n) },
    scan: definitionScan.pinHook,
  });
  const runtime = buildRuntime(config, { repo, redis, policyStores, health, log });
  const semantic = lazySemanticIndex(() => createSemanticIndex({ db: database.db, logger: log, maxCandidates: config.cache.semanticMaxCandidates }));
  const cacheStore = redis ? createRedisStore(redis.client, log, config.policy.redisCommandTimeoutMs) : createMemoryStore(config.cache.memoryMaxBytes);
  const deps: Deps = withRuntimeAliases({
    runtime,
    log,
    database,
    repo,
    requestLog,
    audit,
    checkpoints,
    redis,
    admin: createKeysService(repo, (hash) => deps.runtime.keys.invalidate(hash), () => deps.runtime.teams),
    adminThrottle: createAdminThrottle({ redis: redis?.policyClient(config.policy.redisCommandTimeoutMs), replicas: config.policy.replicas, log }),
    policyStores,
    health,
    hub,
    toolGuard,
    definitionScan,
    toolPins: createToolPinsService({
      repo: pinsRepo,
      staticPins,
      async changed(sid) {
        toolGuard.invalidate(sid);
        await redis?.client.publish(TOOL_PINS_CHANNEL, sid);
      },
    }),
    inflight: createInflight(),
    tracing,
    // Scrape-time sources read the live runtime: a reload swaps router and providers.
    metrics: !config.telemetry.metrics.enabled ? disabledMetrics() : createMetrics({
      processMetrics: config.telemetry.metrics.processMetrics,
      knownModel: knownModels(() => deps.runtime),
      sources: {
        inflight: () => deps.inflight.count(),
        mcpUpstreams: () => deps.hub.health(),
        breakers: () => deps.runtime.router.health.entries(),
        audit: () => deps.audit.stats(),
        requestLog: () => deps.requestLog.stats(),
        budgetSpend: () => deps.policyStores.spend?.stats() ?? null,
        cache: () => deps.cache.store.stats(),
      },
    }),
    cache: createResponseCache({ store: cacheStore, semantic, embed: createEmbedder(() => deps.runtime.providers, log), log }),
    state: { shuttingDown: false },
    async close() {
      responsesRetention.close();
      await hub.close();
      await requestLog.close();
      await audit.close();
      await policyStores.spend?.close(); // in-flight calls have settled by now: their spend is written before the database closes
      await checkpoints.close();
      semantic.close();
      await deps.cache.close();
      await tracing.shutdown();
      await database.close();
      await redis?.close();
      await closeUpstreamAgents();
    },
  });
  // Revocations on any replica reach this one's key cache (through the runtime: a reload brings a new key store).
  await redis?.subscribe(KEY_INVALIDATION_CHANNEL, (hash) => deps.runtime.keys.drop(hash));
  // Tool approvals on any replica (or the CLI) reach this one's pins and its MCP sessions (tools/list_changed).
  await redis?.subscribe(TOOL_PINS_CHANNEL, (sid) => toolGuard.invalidate(sid));
  hub.start();
  return deps;
}
