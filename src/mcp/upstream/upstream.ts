// One upstream MCP server: connect, supervise (stdio stderr to the log), health pings, reconnect with backoff.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ListRootsRequestSchema,
  LoggingMessageNotificationSchema,
  PromptListChangedNotificationSchema,
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
  ToolListChangedNotificationSchema,
  type ServerCapabilities,
} from '@modelcontextprotocol/sdk/types.js';
import type { Logger } from '../../log.js';
import { createScrubber } from '../../providers/scrub.js';
import type { McpServerConfig, McpSettings } from './config-schema.js';
import type { JsonObject, RpcMessage } from './rpc.js';
import { rawRequestHandler } from '../sdk-adapter.js';
import { scrubRequests, upstreamSecrets } from './upstream-scrub.js';
import { createStreamOrigins, type StreamOrigins } from './stream-origins.js';
import { createTransportFactory, type TransportFactory } from './transports.js';

export type UpstreamState = 'idle' | 'connecting' | 'ready' | 'down' | 'closed';

export interface UpstreamEvents {
  /**
   * A server→client request (sampling, elicitation, roots) to relay to whoever is calling this server; `callId` is the
   * gateway's request id of the call whose response stream carried it, when the transport can tell.
   */
  onServerRequest(serverId: string, req: RpcMessage, signal: AbortSignal, callId?: string | number): Promise<JsonObject>;
  /** Any notification from the server (list_changed, resources/updated, message). */
  onNotification(serverId: string, n: RpcMessage): void;
  /** Connected or lost: the catalog of this server changed as far as clients can tell. */
  onStateChange(serverId: string, state: UpstreamState): void;
}

export interface Upstream {
  id: string;
  config: McpServerConfig;
  state(): UpstreamState;
  health(): { state: UpstreamState; error?: string; retries: number; pid?: number };
  capabilities(): ServerCapabilities | undefined;
  /** The upstream's MCP session id (Streamable HTTP), for spans. */
  sessionId(): string | undefined;
  /** The connected client; connects lazily and waits up to connectMs; throws when the server is down. */
  client(): Promise<Client>;
  start(): void;
  close(): Promise<void>;
}

export class UpstreamUnavailableError extends Error {
  override name = 'UpstreamUnavailableError';
}

const VERSION = '0.1.0';

export function createUpstream(
  id: string,
  config: McpServerConfig,
  settings: McpSettings,
  log: Logger,
  events: UpstreamEvents,
  transports: TransportFactory = createTransportFactory(log),
): Upstream {
  let state: UpstreamState = 'idle';
  let lastError: string | undefined;
  let retries = 0;
  let current: { client: Client; transport: Transport } | null = null;
  let connecting: Promise<Client> | null = null;
  let retryTimer: NodeJS.Timeout | undefined;
  let pingTimer: NodeJS.Timeout | undefined;
  let nextRetryAt = 0;
  const scrubber = createScrubber(upstreamSecrets(config));

  const closed = (): boolean => state === 'closed';
  const setState = (s: UpstreamState) => {
    if (s === state) return;
    state = s;
    events.onStateChange(id, s);
  };

  function makeClient(origins: StreamOrigins): Client {
    const client = new Client(
      { name: 'mcp-agent-gateway', version: VERSION },
      { capabilities: { sampling: {}, elicitation: { form: {}, url: {} }, roots: { listChanged: true } } },
    );
    for (const schema of [CreateMessageRequestSchema, ElicitRequestSchema, ListRootsRequestSchema]) {
      rawRequestHandler(client, schema, (req, extra) => events.onServerRequest(id, req, extra.signal, origins.take(extra.requestId)));
    }
    for (const schema of [
      ToolListChangedNotificationSchema,
      ResourceListChangedNotificationSchema,
      PromptListChangedNotificationSchema,
      ResourceUpdatedNotificationSchema,
      LoggingMessageNotificationSchema,
    ]) {
      client.setNotificationHandler(schema, async (n) => events.onNotification(id, n as RpcMessage));
    }
    scrubRequests(client, scrubber);
    return client;
  }

  function scheduleReconnect(): void {
    if (state === 'closed' || retryTimer) return;
    const delay = Math.min(settings.reconnectMaxMs, settings.reconnectBaseMs * 2 ** Math.min(retries, 16)) * (0.5 + Math.random() / 2);
    retries++;
    nextRetryAt = Date.now() + delay;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      void connect().catch(() => undefined);
    }, delay);
    retryTimer.unref();
  }

  function lost(reason: string, conn: { client: Client; transport: Transport }): void {
    if (current !== conn) return;
    current = null;
    clearInterval(pingTimer);
    if (state === 'closed') return;
    lastError = reason;
    log.warn({ mcpServer: id, reason }, 'mcp upstream lost; reconnecting');
    setState('down');
    scheduleReconnect();
  }

  async function connect(): Promise<Client> {
    if (current) return current.client;
    if (connecting) return connecting;
    if (state === 'closed') throw new UpstreamUnavailableError(`MCP server "${id}" is closed`);
    setState('connecting');
    connecting = (async () => {
      const origins = createStreamOrigins();
      const client = makeClient(origins);
      const transport = transports(id, config, origins);
      const conn = { client, transport };
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          client.connect(transport, { timeout: config.timeouts.connectMs }),
          new Promise((_, reject) => {
            timer = setTimeout(() => reject(new Error(`connect timed out after ${config.timeouts.connectMs} ms`)), config.timeouts.connectMs);
          }),
        ]);
      } catch (err) {
        await transport.close().catch(() => undefined);
        lastError = scrubber.scrub(String((err as Error)?.message ?? err));
        log.warn({ mcpServer: id, err: lastError }, 'mcp upstream connect failed');
        if (!closed()) {
          setState('down');
          scheduleReconnect();
        }
        throw new UpstreamUnavailableError(`MCP server "${id}" is unavailable: ${lastError}`);
      } finally {
        clearTimeout(timer);
      }
      if (closed()) {
        await client.close().catch(() => undefined);
        throw new UpstreamUnavailableError(`MCP server "${id}" is closed`);
      }
      current = conn;
      client.onclose = () => lost('connection closed', conn);
      retries = 0;
      lastError = undefined;
      pingTimer = setInterval(() => {
        client.ping({ timeout: config.timeouts.callMs }).catch((e: Error) => {
          lost(`ping failed: ${scrubber.scrub(String(e?.message ?? e))}`, conn);
          void transport.close().catch(() => undefined);
        });
      }, settings.healthIntervalMs);
      pingTimer.unref();
      log.info({ mcpServer: id, server: client.getServerVersion() }, 'mcp upstream connected');
      setState('ready');
      return client;
    })().finally(() => {
      connecting = null;
    });
    return connecting;
  }

  return {
    id,
    config,
    state: () => state,
    health: () => ({
      state,
      retries,
      ...(lastError ? { error: lastError } : {}),
      ...(current?.transport instanceof StdioClientTransport && current.transport.pid ? { pid: current.transport.pid } : {}),
    }),
    capabilities: () => current?.client.getServerCapabilities(),
    sessionId: () => (current?.transport instanceof StreamableHTTPClientTransport ? current.transport.sessionId : undefined),
    async client() {
      if (current) return current.client;
      // A down server is not waited for until its next retry is due: callers fail fast instead of piling up.
      if (state === 'down' && Date.now() < nextRetryAt) {
        throw new UpstreamUnavailableError(`MCP server "${id}" is unavailable${lastError ? `: ${lastError}` : ''}`);
      }
      if (state === 'down' && retryTimer) {
        clearTimeout(retryTimer);
        retryTimer = undefined;
      }
      return connect();
    },
    start() {
      if (config.eager && state === 'idle') void connect().catch(() => undefined);
    },
    async close() {
      setState('closed');
      clearTimeout(retryTimer);
      clearInterval(pingTimer);
      const conn = current;
      current = null;
      await conn?.client.close().catch(() => undefined);
    },
  };
}

