// createApp(deps, parts): the Hono app with its middleware order, routes and error rendering; the MCP door's composition.
import { Hono } from 'hono';
import { adminRoutes } from './admin/routes.js';
import { runMcpOperation } from './broker/tools.js';
import type { Deps } from './deps.js';
import { renderAnthropicError } from './doors/messages/errors.js';
import { asGatewayError, GatewayError, publicMessage, toOpenAIError } from './errors.js';
import { authenticate } from './http/authenticate.js';
import { limitBody } from './http/body-limit.js';
import type { AppEnv } from './http/context.js';
import { openGatewayGuard } from './http/open-guard.js';
import { requestContext } from './http/request-context.js';
import { chatRoutes } from './http/routes/chat.js';
import { messagesRoutes } from './http/routes/messages.js';
import { responsesRoutes } from './http/routes/responses.js';
import { embeddingsRoutes } from './http/routes/embeddings.js';
import { healthRoutes } from './http/routes/health.js';
import { mcpRoutes } from './http/routes/mcp.js';
import { metricsRoutes } from './http/routes/metrics.js';
import { modelsRoutes } from './http/routes/models.js';
import { oauthMetadataRoutes } from './http/routes/oauth-metadata.js';
import { guardedHub } from './mcp/guard/guarded-hub.js';
import { rpcError } from './mcp/inbound/rpc-response.js';
import { mcpSessionsRepo } from './storage/mcp-sessions-repo.js';
import { withArchive } from './mcp/inbound/session-archive.js';
import { createSessionStore } from './mcp/inbound/session-store.js';
import { createMcpSessions, type McpSessions } from './mcp/inbound/sessions.js';
import { createReplicaRelay } from './mcp/inbound/replica-relay.js';
import { uiRoutes } from './ui/routes.js';

/** The MCP transports: /mcp, /mcp/<id>, legacy /sse and /messages. */
const MCP_PATH = /^\/(?:mcp|sse)(?:\/|$)|^\/messages$/;

/** Anthropic clients: the Messages door, and model discovery from a client that says it speaks Anthropic's API. */
const isAnthropicCall = (path: string, anthropicVersion: string | undefined): boolean =>
  /^\/v1\/messages(?:\/|$)/.test(path) || (anthropicVersion !== undefined && path.startsWith('/v1/models'));

/** Inbound MCP sessions over the long-lived hub and the live runtime's catalog; the caller closes them before deps. */
export function createMcpSessionsFor(deps: Deps): McpSessions {
  const { storage, mcp } = deps.runtime.config;
  return createMcpSessions({
    // Tool lists pass the pinning guard: held-back tools are left out, and approvals reach open sessions as list_changed.
    hub: guardedHub(deps.hub, deps.toolGuard, deps.definitionScan),
    catalog: () => deps.runtime.catalog,
    operate: (ctx, op) => runMcpOperation(deps, ctx, op),
    log: deps.log,
    store: withArchive(createSessionStore(storage.redisUrl, mcp.sessionTtlMs, deps.log), mcpSessionsRepo(deps.database.db), () => deps.runtime.config.mcp.sessionTtlMs, deps.log),
    sessionTtlMs: () => deps.runtime.config.mcp.sessionTtlMs,
    // 2026-07-28 requestState keys derive from the admin key, so replicas with one config mint states each other accept.
    stateSecret: deps.runtime.config.auth.adminKey,
    // With Redis, replicas hand each other answers and retries meant for a request another one holds (no sticky sessions needed).
    relay: deps.redis ? createReplicaRelay(deps.redis, deps.log) : null,
  });
}

/** The parts with a lifecycle of their own, made by the caller (startGateway) so it can close them. */
export interface AppParts {
  mcp: McpSessions;
}

/** Without `parts` (tests through app.request()), the app makes its own MCP sessions and nobody closes them. */
export function createApp(deps: Deps, parts: AppParts = { mcp: createMcpSessionsFor(deps) }): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.use('*', requestContext(deps));
  app.route('/', healthRoutes());
  app.route('/', oauthMetadataRoutes());
  if (deps.config.telemetry.metrics.enabled) app.route('/', metricsRoutes());
  app.route('/', mcpRoutes(parts.mcp));

  const v1 = new Hono<AppEnv>();
  v1.use('*', authenticate());
  v1.use('*', openGatewayGuard());
  v1.use('*', limitBody((c) => c.get('deps').config.server.bodyLimitBytes));
  v1.route('/', chatRoutes());
  v1.route('/', responsesRoutes());
  v1.route('/', messagesRoutes());
  v1.route('/', embeddingsRoutes());
  v1.route('/', modelsRoutes());
  app.route('/v1', v1);
  app.route('/admin', adminRoutes());
  // The reviewer's console reads and changes everything through the admin API, called in-process.
  app.route('/ui', uiRoutes({ adminFetch: (path, init) => app.request(path, init) }));

  app.notFound((c) => {
    const e = new GatewayError('not_found', `No route for ${c.req.method} ${c.req.path}.`);
    return c.json(toOpenAIError(e), 404);
  });

  app.onError((err, c) => {
    // Middleware refusals (401, 413, bad headers) reach Anthropic clients in Anthropic's error shape.
    if (isAnthropicCall(c.req.path, c.req.header('anthropic-version'))) return renderAnthropicError(c, err, deps.log);
    const e = asGatewayError(err);
    if (e.status >= 500 && e.code === 'internal_error') {
      deps.log.error({ err, requestId: c.get('requestId'), path: c.req.path }, 'internal error');
    }
    // Errors raised before the MCP routes run (request-context header checks) still answer MCP clients in JSON-RPC.
    if (MCP_PATH.test(c.req.path)) {
      const res = rpcError(e.status, e.status === 401 ? -32001 : e.status >= 500 ? -32000 : -32600, publicMessage(e), c.req.header('mcp-protocol-version'));
      for (const [k, v] of Object.entries(e.headers)) res.headers.set(k, v);
      return res;
    }
    for (const [k, v] of Object.entries(e.headers)) c.header(k, v);
    if (e.code === 'insufficient_quota') c.header('x-should-retry', 'false');
    return c.json(toOpenAIError(e), e.status as 400);
  });

  return app;
}
