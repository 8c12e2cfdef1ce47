// Entry point: run a CLI command, or load config, build deps, serve, and drain gracefully on SIGTERM/SIGINT.
import { CLI_COMMANDS, runCli } from './admin/cli.js';
import { ConfigError, loadConfig } from './config.js';
import { createDeps } from './deps.js';
import { createShutdownSignalHandler, startGateway } from './server.js';
import { DataDirLockedError } from './storage/data-dir-lock.js';
import { openDatabase } from './storage/db.js';

/** EX_TEMPFAIL: the data directory is busy (another process holds it); retrying later may work. */
const EXIT_LOCKED = 75;

/**
 * `gateway migrate`: applies the migrations to DATABASE_URL and exits (a Kubernetes Job before a rollout). Replicas
 * starting meanwhile wait on the same advisory lock, so running both is safe.
 */
async function migrate(storage: Parameters<typeof openDatabase>[0]): Promise<number> {
  if (!storage.databaseUrl) {
    process.stderr.write('gateway migrate: set DATABASE_URL (the embedded database migrates itself at start)\n');
    return 64; // EX_USAGE
  }
  const db = await openDatabase(storage);
  await db.close();
  process.stdout.write('gateway migrate: the database is up to date\n');
  return 0;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args[0] && CLI_COMMANDS.has(args[0])) process.exit(await runCli(args));
  if (args[0] === '--help' || args[0] === '-h') process.exit(await runCli(['--help']));
  let loaded;
  try {
    loaded = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`gateway: ${err.message}\n`);
      process.exit(78); // EX_CONFIG
    }
    throw err;
  }
  const { config, source } = loaded;
  if (args[0] === 'migrate') process.exit(await migrate(config.storage));
  let deps;
  try {
    deps = await createDeps(config);
  } catch (err) {
    if (err instanceof DataDirLockedError) {
      process.stderr.write(`gateway: cannot start: ${err.message}\n`);
      process.exit(EXIT_LOCKED);
    }
    throw err;
  }
  const gw = await startGateway(deps);
  if (source) gw.watchConfig(source);
  const rt = deps.runtime;
  const auth = await rt.keys.isOpen().then((open) => (open ? 'open' : 'keys'), () => 'unknown');
  deps.log.info(
    {
      url: gw.url,
      config: source ?? '(defaults)',
      storage: deps.database.kind,
      providers: [...rt.providers.keys()],
      auth,
    },
    'gateway listening',
  );
  if (auth === 'open') deps.log.warn('auth: open: no keys exist yet, so calls without a key are served; creating the first key closes the gateway');
  const onSignal = createShutdownSignalHandler({
    stop: gw.stop,
    log: deps.log,
    exit: (code) => process.exit(code),
    inflight: () => deps.inflight.count(),
    graceMs: () => deps.runtime.config.server.shutdownGraceMs,
  });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
