// createDeps(config): wires storage, providers, routing and writers into one object the app uses.
import type { GatewayConfig } from './config.js';
import { createInflight, type Inflight } from './http/inflight.js';
import { createLogger, type Logger } from './log.js';
import { createHub, type Hub } from './mcp/hub.js';
import { createSessionStore } from './mcp/session-store.js';
import { createMcpSessions, type McpSessions } from './mcp/sessions.js';
import { closeUpstreamAgents } from './providers/http.js';
import { createKeysService, type KeysService } from './admin/keys-service.js';
import { createKeyStore, KEY_INVALIDATION_CHANNEL, type KeyStore } from './policy/key-store.js';
import type { PolicyEngine } from './policy/engine.js';
import { createPolicy, createPolicyStores, type PolicyStores } from './policy/policy.js';
import { createPriceBook, type PriceBook } from './policy/prices.js';
import { createSpendLedger } from './policy/spend-ledger.js';
import { createProviderRegistry, type ProviderRegistry } from './providers/registry.js';
import { createHealthRegistry } from './routing/health.js';
import type { ModelResolver } from './routing/resolve.js';
import { createRouter, type Router } from './routing/router.js';
import { openDatabase, type Database } from './storage/db.js';
import { openRedis, type SharedRedis } from './storage/redis.js';
import { createRepo, type Repo } from './storage/repo.js';
import { createAuditTrail, type AuditTrail } from './tracing/audit.js';
import { createCheckpoints, type Checkpoints } from './tracing/checkpoints.js';
import { createMetrics, disabledMetrics, knownModels, type Metrics } from './tracing/metrics.js';
import { createTracing, currentTraceIds, type Tracing } from './tracing/otel.js';
import { createRequestLogWriter, disabledRequestLog, type RequestLogWriter } from './tracing/request-log.js';

export interface Deps {
  config: GatewayConfig;
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
  keys: KeyStore;
  /** Keys and teams management (admin API and CLI). */
  admin: KeysService;
  prices: PriceBook;
  /** Budget, rate-limit and token-counting state; survives config reloads. */
  policyStores: PolicyStores;
  /** The policy steps for this config (rebuilt on reload). */
  policy: PolicyEngine;
  providers: ProviderRegistry;
  resolver: ModelResolver;
  /** Plans each model call (aliases, rules, strategies, health); swapped together with providers on config reload. */
  router: Router;
  /** Upstream MCP servers (clients, catalogs, health). */
  hub: Hub;
  /** Inbound MCP sessions (Streamable HTTP), their records in Redis or in memory. */
  mcpSessions: McpSessions;
  inflight: Inflight;
  /** OpenTelemetry spans (off unless an OTLP exporter is configured) and Prometheus metrics. */
  tracing: Tracing;
  metrics: Metrics;
  state: { shuttingDown: boolean };
  /** Flushes writers and closes connections; call after the server stopped taking requests. */
  close(): Promise<void>;
}

export async function createDeps(config: GatewayConfig, opts: { log?: Logger } = {}): Promise<Deps> {
  const log = opts.log ?? createLogger(config.logLevel);
  const database = await openDatabase(config.storage);
  const repo = createRepo(database.db);
  const redis = await openRedis(config.storage.redisUrl, log);
  const requestLog = config.requestLog.enabled ? await createRequestLogWriter(config, repo, log) : disabledRequestLog();
  const audit = await createAuditTrail(config, repo, log);
  const tracing = await createTracing(config.telemetry, log);
  if (tracing.enabled) audit.useTraceContext(currentTraceIds);
  const providers = createProviderRegistry(config);
  const prices = createPriceBook(config);
  const policyStores = createPolicyStores(config, redis, createSpendLedger(repo, log));
  const router = createRouter(config, providers, prices, createHealthRegistry(config.routing));
  const hub = createHub(config, log);
  const mcpStore = createSessionStore(config.storage.redisUrl, config.mcp.sessionTtlMs, log);
  const deps: Deps = {
    config,
    log,
    database,
    repo,
    requestLog,
    audit,
    checkpoints: createCheckpoints(config, repo, log),
    redis,
    keys: createKeyStore({ config, repo, redis }),
    admin: createKeysService(repo, (hash) => deps.keys.invalidate(hash)),
    prices,
    policyStores,
    policy: createPolicy(config, policyStores, prices, log),
    providers,
    resolver: router,
    router,
    hub,
    mcpSessions: null as unknown as McpSessions, // set below: sessions need the finished deps
    inflight: createInflight(),
    tracing,
    // Scrape-time sources read deps live: the router and hub may be swapped by a config reload.
    metrics: !config.telemetry.metrics.enabled ? disabledMetrics() : createMetrics({
      processMetrics: config.telemetry.metrics.processMetrics,
      knownModel: knownModels(() => deps),
      sources: {
        inflight: () => deps.inflight.count(),
        mcpUpstreams: () => deps.hub.health(),
        breakers: () => deps.router.health.entries(),
        audit: () => deps.audit.stats(),
        requestLog: () => deps.requestLog.stats(),
        budgetSpend: () => deps.policyStores.spend?.stats() ?? null,
      },
    }),
    state: { shuttingDown: false },
    async close() {
      await deps.mcpSessions.close();
      await hub.close();
      await mcpStore.close();
      await requestLog.close();
      await audit.close();
      await policyStores.spend?.close(); // in-flight calls have settled by now: their spend is written before the database closes
      await deps.checkpoints.close();
      await tracing.shutdown();
      await database.close();
      await redis?.close();
      await closeUpstreamAgents();
    },
  };
  // Revocations on any replica reach this one's key cache (deps.keys is swapped on reload, hence the indirection).
  await redis?.subscribe(KEY_INVALIDATION_CHANNEL, (hash) => deps.keys.drop(hash));
  deps.mcpSessions = createMcpSessions(deps, hub, mcpStore);
  hub.start();
  return deps;
}
