// Entry point: run a CLI command, or load config, build deps, serve, and shut down gracefully on SIGTERM/SIGINT.
import { CLI_COMMANDS, runCli } from './admin/cli.js';
import { ConfigError, loadConfig } from './config.js';
import { createDeps } from './deps.js';
import { startGateway } from './server.js';

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
  const deps = await createDeps(config);
  const gw = await startGateway(deps);
  if (source) gw.watchConfig(source);
  deps.log.info(
    {
      url: gw.url,
      config: source ?? '(defaults)',
      storage: deps.database.kind,
      providers: [...deps.providers.keys()],
    },
    'gateway listening',
  );
  let signals = 0;
  const onSignal = (sig: string) => {
    if (++signals > 1) process.exit(130);
    deps.log.info({ signal: sig, inflight: deps.inflight.count() }, 'shutting down');
    gw.stop().then(
      () => process.exit(0),
      (err: unknown) => {
        deps.log.error({ err }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => onSignal('SIGTERM'));
  process.on('SIGINT', () => onSignal('SIGINT'));
}

main().catch((err: unknown) => {
  process.stderr.write(`gateway: failed to start: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
