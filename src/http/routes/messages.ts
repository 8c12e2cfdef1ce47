// POST /v1/messages (plain and streamed) and /v1/messages/count_tokens: the Anthropic Messages door, errors in Anthropic's shape.
import { Hono, type Context } from 'hono';
import type { CallContext } from '../../broker/context.js';
import { runRouted, runRoutedStream } from '../../broker/run-routed.js';
import { messagesDoor } from '../../doors/messages/door.js';
import { renderAnthropicError } from '../../doors/messages/errors.js';
import { CountTokensRequestSchema, MessagesRequestSchema } from '../../doors/messages/schema.js';
import { sessionFromUserId } from '../../doors/messages/session.js';
import { messagesFraming } from '../../doors/messages/sse.js';
import { toChatRequest } from '../../doors/messages/to-chat.js';
import { GatewayError } from '../../errors.js';
import { principalAllowsModel } from '../../policy/steps/authorize.js';
import { readBody } from '../body.js';
import { callContext } from '../call-context.js';
import type { AppEnv } from '../context.js';
import { eventStreamResponse } from '../sse-response.js';
import { safeHeaderValue } from '../text-bounds.js';

/** The client headers a native Anthropic target receives unchanged (Claude Code's betas select features upstream). */
const PASS = ['anthropic-version', 'anthropic-beta'] as const;

/**
 * The call's context: the client's version headers to pass on, and the agent session. Without x-session-id the
 * session comes from metadata.user_id (Claude Code's per-session id), so one Claude Code run is one session.
 */
function messagesContext(c: Context<AppEnv>, userId: string | null | undefined): CallContext {
  const ctx: CallContext = callContext(c);
  const passHeaders: Record<string, string> = {};
  for (const h of PASS) {
    const v = c.req.header(h);
    if (v !== undefined) passHeaders[h] = v;
  }
  if (Object.keys(passHeaders).length) ctx.passHeaders = passHeaders;
  const derived = c.req.header('x-session-id') === undefined ? sessionFromUserId(userId) : undefined;
  if (derived) {
    ctx.sessionId = derived;
    c.set('sessionId', derived);
    c.header('x-session-id', derived);
  }
  return ctx;
}

export function messagesRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.onError((err, c) => renderAnthropicError(c, err, c.var.deps.log));

  app.post('/messages', async (c) => {
    const req = await readBody(c, MessagesRequestSchema);
    const ctx = messagesContext(c, req.metadata?.user_id);
    const deps = c.var.deps;
    c.header('request-id', ctx.requestId);
    if (!req.stream) {
      const r = await runRouted(deps, ctx, messagesDoor, req);
      if (!r.ok) return renderAnthropicError(c, r.error, deps.log);
      for (const [k, v] of Object.entries(r.headers)) c.header(k, safeHeaderValue(v));
      c.header('x-gateway-provider', safeHeaderValue(r.served.provider.id));
      c.header('x-gateway-model', safeHeaderValue(r.served.model));
      return c.json(r.value);
    }
    const r = await runRoutedStream(deps, ctx, messagesDoor, req);
    if (!r.ok) return renderAnthropicError(c, r.error, deps.log);
    return eventStreamResponse(r.value, messagesFraming(ctx.requestId), {
      headers: {
        ...r.headers,
        'x-request-id': ctx.requestId,
        'request-id': ctx.requestId,
        'x-session-id': ctx.sessionId,
        'x-gateway-provider': r.served.provider.id,
        'x-gateway-model': r.served.model,
      },
      log: deps.log,
      requestId: ctx.requestId,
      onEnd: c.var.deferEnd(),
    });
  });

  // Counting spends nothing: the key was authenticated by the middleware; here only the model must exist and be allowed.
  app.post('/messages/count_tokens', async (c) => {
    const req = await readBody(c, CountTokensRequestSchema);
    const { deps, principal } = c.var;
    c.header('request-id', c.var.requestId);
    const chat = toChatRequest(req, { strict: false });
    const plan = deps.router.plan(req.model, { keyId: principal.keyId, team: principal.teamId, tag: null, chat });
    if (!principalAllowsModel(principal, req.model, plan.candidates.map((t) => t.key))) {
      throw new GatewayError('forbidden', `The model "${req.model}" is not allowed for this key.`);
    }
    const inputTokens = await deps.policyStores.tokens.countInputTokens(chat, plan.candidates[0]?.provider.kind);
    return c.json({ input_tokens: inputTokens });
  });
  return app;
}
