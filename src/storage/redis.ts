// The shared Redis connections (REDIS_URL) for counters, caches and cross-replica messages; null without Redis.
import { Command, Redis } from 'ioredis';
import type { Logger } from '../log.js';

/** How long a policy-store command may wait, queued or in flight, before the store counts Redis as down. */
export const DEFAULT_POLICY_COMMAND_TIMEOUT_MS = 250;

export interface SharedRedis {
  /** Commands (counters, scripts, caches). */
  client: Redis;
  /**
   * The connection budgets and rate limits use on the request path: every command fails within `commandTimeoutMs`
   * (no retries, no queueing across reconnects), so an outage turns into a prompt store error, never a hang.
   */
  policyClient(commandTimeoutMs?: number): Redis;
  /** Subscribes to a channel on a dedicated connection (a subscribed connection cannot run commands). */
  subscribe(channel: string, onMessage: (message: string) => void): Promise<void>;
  /** Stops listening on a channel: a publisher then counts no subscriber there. */
  unsubscribe(channel: string): Promise<void>;
  close(): Promise<void>;
}

/** The parts of an ioredis Command the timeout needs (its timer field is private in the typings). */
interface TimedCommand {
  isSettled: boolean;
  reject(err: Error): void;
  _commandTimeoutTimer?: NodeJS.Timeout;
}

let lagTolerant = false;

/**
 * ioredis times a command out from a timer. When the event loop was blocked past the timeout (a large body being parsed,
 * a GC pause), Node runs that timer before it reads the sockets, so a reply already waiting counted as "Redis down":
 * a 503 or a lost settle under load. The verdict now waits one loop turn (setImmediate runs after the poll phase has read
 * the sockets), so only a command Redis really left unanswered times out. Only commands given a commandTimeout (the
 * policy connection) are affected.
 */
function lagTolerantCommandTimeouts(): void {
  if (lagTolerant) return;
  lagTolerant = true;
  (Command.prototype as unknown as { setTimeout(this: TimedCommand, ms: number): void }).setTimeout = function (ms) {
    if (this._commandTimeoutTimer) return;
    this._commandTimeoutTimer = setTimeout(() => {
      setImmediate(() => {
        if (!this.isSettled) this.reject(new Error('Command timed out'));
      });
    }, ms);
  };
}

export async function openRedis(url: string | undefined, log: Logger): Promise<SharedRedis | null> {
  if (!url) return null;
  lagTolerantCommandTimeouts();
  const client = new Redis(url, { maxRetriesPerRequest: 2, enableAutoPipelining: true, lazyConnect: true });
  client.on('error', (err: Error) => log.warn({ err: err.message }, 'redis: connection error'));
  await client.connect();
  // A separate connection, so its strict limits do not change what the key store, cache and sessions get.
  // maxRetriesPerRequest 0 drops queued commands at each failed reconnect; commandTimeout bounds the rest.
  const policy = client.duplicate({
    commandTimeout: DEFAULT_POLICY_COMMAND_TIMEOUT_MS,
    maxRetriesPerRequest: 0,
    autoResendUnfulfilledCommands: false,
    // No auto-pipelining here: a command failed by its timeout inside an ioredis auto-pipeline could leave the pipeline
    // resolved without its result, and the auto-pipeline then threw a TypeError from a nextTick (an uncaught exception:
    // seen under the Redis-outage test). Concurrent commands (rate limit and budget) still leave together, a write each.
    enableAutoPipelining: false,
    lazyConnect: true,
  });
  policy.on('error', (err: Error) => log.warn({ err: err.message }, 'redis: policy connection error'));
  policy.on('ready', () => log.info('redis: policy connection ready'));
  // Ready before the first request, so no early call is counted by the local fallback only.
  await policy.connect();
  let sub: Redis | null = null;
  const handlers = new Map<string, (message: string) => void>();
  return {
    client,
    policyClient(commandTimeoutMs) {
      // ioredis reads the option at each command, so the configured bound applies from the next command on.
      if (commandTimeoutMs !== undefined) policy.options.commandTimeout = commandTimeoutMs;
      return policy;
    },
    async subscribe(channel, onMessage) {
      if (!sub) {
        sub = client.duplicate();
        sub.on('error', (err: Error) => log.warn({ err: err.message }, 'redis: subscriber error'));
        sub.on('message', (ch: string, message: string) => handlers.get(ch)?.(message));
      }
      handlers.set(channel, onMessage);
      await sub.subscribe(channel);
    },
    async unsubscribe(channel) {
      handlers.delete(channel);
      await sub?.unsubscribe(channel);
    },
    async close() {
      sub?.disconnect();
      await policy.quit().catch(() => policy.disconnect());
      await client.quit().catch(() => client.disconnect());
    },
  };
}
