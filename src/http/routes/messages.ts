// POST /v1/messages (plain and streamed) and /v1/messages/count_tokens: the Anthropic Messages door, errors in Anthropic's shape.
import { Hono, type Context } from 'hono';
import type { CallContext } from '../../broker/context.js';
import { runRouted, runRoutedStream } from '../../broker/run-routed.js';
import { messagesDoor } from '../../doors/messages/door.js';
import { CountTokensRequestSchema, MessagesRequestSchema } from '../../doors/messages/schema.js';
import { sessionFromUserId } from '../../doors/messages/session.js';
import { messagesFraming } from '../../doors/messages/sse.js';
import { toChatRequest } from '../../doors/messages/to-chat.js';
import { GatewayError } from '../../errors.js';
import { principalAllowsModel } from '../../policy/steps/authorize.js';
import { readBody } from '../body.js';
import { callContext } from '../call-context.js';
import type { AppEnv } from '../context.js';
import { streamHeaders, unwrap } from '../routed.js';
import { eventStreamResponse } from '../sse-response.js';

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
  // Errors on these paths, refusals from the broker included, are rendered in Anthropic's shape by app.onError.
  const app = new Hono<AppEnv>();

  app.post('/messages', async (c) => {
    const req = await readBody(c, MessagesRequestSchema);
    const ctx = messagesContext(c, req.metadata?.user_id);
    const deps = c.get('deps');
    c.header('request-id', ctx.requestId);
    if (!req.stream) return c.json(unwrap(c, await runRouted(deps, ctx, messagesDoor, req)));
    const r = await runRoutedStream(deps, ctx, messagesDoor, req);
    if (!r.ok) throw r.error;
    return eventStreamResponse(r.value, messagesFraming(ctx.requestId), {
      headers: { ...streamHeaders(c, r), 'request-id': ctx.requestId },
      log: deps.log,
      requestId: ctx.requestId,
      onEnd: c.get('deferEnd')(),
    });
  });

  // Counting spends nothing: the key was authenticated by the middleware; here only the model must exist and be allowed.
  app.post('/messages/count_tokens', async (c) => {
    const req = await readBody(c, CountTokensRequestSchema);
    const deps = c.get('deps');
    const principal = c.get('principal');
    c.header('request-id', c.get('requestId'));
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
