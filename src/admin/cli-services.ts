// Where the CLI's services come from: the database itself (Postgres, or a PGlite directory nobody holds, locked for the command) or the admin API of the gateway holding it.
import type { GatewayConfig } from '../config.js';
import { GatewayError } from '../errors.js';
import type { Logger } from '../log.js';
import { KEY_INVALIDATION_CHANNEL, createTeamsView } from '../policy/key-store.js';
import { DataDirLockedError, describeHolder, lockHolder, type LockInfo } from '../storage/data-dir-lock.js';
import { openDatabase } from '../storage/db.js';
import { openRedis } from '../storage/redis.js';
import { createRepo } from '../storage/repo.js';
import { createCheckpoints } from '../tracing/checkpoints.js';
import { createSessionsService, type SessionsService } from '../tracing/sessions-service.js';
import { TOOL_PINS_CHANNEL } from '../mcp/guard/tool-pins.js';
import { toolPinsRepo } from '../storage/tool-pins-repo.js';
import { remoteKeysService, remoteSessionsService, remoteToolPinsService } from './cli-remote.js';
import { createKeysService, type KeysService } from './keys-service.js';
import { createToolPinsService, type ToolPinsService } from './tool-pins-service.js';

export interface CliServices {
  keys: KeysService;
  sessions: SessionsService;
  tools: ToolPinsService;
  /** 'gateway': through a running gateway's admin API; 'database': straight on the database. */
  via: 'gateway' | 'database';
  close(): Promise<void>;
}

/** A second process never opens a PGlite directory another holds: talk to the holder, or refuse and say why. */
function throughGateway(config: GatewayConfig, dir: string, info: LockInfo): CliServices {
  const who = describeHolder(info);
  if (info.holder !== 'gateway') throw new GatewayError('unsupported', `${who} holds ${dir}; wait for it to finish and retry`);
  if (!info.url) throw new GatewayError('unsupported', `${who} holds ${dir} and is still starting; retry in a moment`);
  const adminKey = config.auth.adminKey;
  if (!adminKey) {
    throw new GatewayError(
      'unauthorized',
      `${who} holds ${dir}; set GATEWAY_ADMIN_KEY to that gateway's admin key so the CLI can work through its admin API (the CLI never opens a data directory a running gateway holds)`,
    );
  }
  const target = { url: info.url, adminKey, describe: `${who} holding ${dir}` };
  return { keys: remoteKeysService(target), sessions: remoteSessionsService(target), tools: remoteToolPinsService(target), via: 'gateway', close: async () => {} };
}

export async function openCliServices(config: GatewayConfig, log: Logger): Promise<CliServices> {
  const { storage } = config;
  if (!storage.databaseUrl && !storage.dataDir.includes('://')) {
    const holder = lockHolder(storage.dataDir);
    if (holder) return throughGateway(config, storage.dataDir, holder);
  }
  let db;
  try {
    // On PGlite this takes the directory's lock for the command: a gateway starting meanwhile refuses the directory.
    db = await openDatabase(storage, 'cli');
  } catch (err) {
    if (err instanceof DataDirLockedError) return throughGateway(config, storage.dataDir, err.info);
    throw err;
  }
  const redis = await openRedis(storage.redisUrl, log).catch(async (err: unknown) => {
    await db.close();
    throw err;
  });
  const invalidate = async (hash: string) => void (await redis?.client.publish(KEY_INVALIDATION_CHANNEL, hash));
  const repo = createRepo(db.db);
  return {
    // Teams declared in gateway.yaml are one view with the database's, as in the running gateway.
    keys: createKeysService(repo, invalidate, () => createTeamsView(config.teams, repo)),
    // Verify checks chains against the gateway's signed checkpoints, as the admin API does.
    sessions: createSessionsService(repo, createCheckpoints(config, repo, log, { verifyOnly: true })),
    // Gateways on the same database hear approvals through Redis; without it they re-read pins within mcp.pinning.refreshMs.
    tools: createToolPinsService({
      repo: toolPinsRepo(db.db),
      staticPins: (sid) => config.mcpServers[sid]?.pins ?? {},
      changed: async (sid) => void (await redis?.client.publish(TOOL_PINS_CHANNEL, sid)),
    }),
    via: 'database',
    async close() {
      await redis?.close();
      await db.close();
    },
  };
}
