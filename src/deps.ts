// createDeps(config): wires storage, providers, routing and writers into one object the app uses.
import type { GatewayConfig } from './config.js';
import { createKeyStore, type KeyStore } from './http/authenticate.js';
import { createInflight, type Inflight } from './http/inflight.js';
import { createLogger, type Logger } from './log.js';
import { closeUpstreamAgents } from './providers/http.js';
import { createPriceBook, type PriceBook } from './policy/prices.js';
import { createProviderRegistry, type ProviderRegistry } from './providers/registry.js';
import { createModelResolver, type ModelResolver } from './routing/resolve.js';
import { openDatabase, type Database } from './storage/db.js';
import { createRepo, type Repo } from './storage/repo.js';
import { createRequestLogWriter, type RequestLogWriter } from './tracing/request-log.js';

export interface Deps {
  config: GatewayConfig;
  log: Logger;
  database: Database;
  repo: Repo;
  requestLog: RequestLogWriter;
  keys: KeyStore;
  prices: PriceBook;
  providers: ProviderRegistry;
  resolver: ModelResolver;
  inflight: Inflight;
  state: { shuttingDown: boolean };
  /** Flushes writers and closes connections; call after the server stopped taking requests. */
  close(): Promise<void>;
}

export async function createDeps(config: GatewayConfig, opts: { log?: Logger } = {}): Promise<Deps> {
  const log = opts.log ?? createLogger(config.logLevel);
  const database = await openDatabase(config.storage);
  const repo = createRepo(database.db);
  const requestLog = createRequestLogWriter(repo, log, config.requestLog);
  const providers = createProviderRegistry(config);
  return {
    config,
    log,
    database,
    repo,
    requestLog,
    keys: createKeyStore(config),
    prices: createPriceBook(config),
    providers,
    resolver: createModelResolver(config, providers),
    inflight: createInflight(),
    state: { shuttingDown: false },
    async close() {
      await requestLog.close();
      await database.close();
      await closeUpstreamAgents();
    },
  };
}
