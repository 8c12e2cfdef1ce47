// POST /v1/chat/completions.
import { Hono } from 'hono';
import { runChatRouted, runChatStream } from '../../broker/chat.js';
import { ChatRequestSchema } from '../../openai/schemas.js';
import { readBody } from '../body.js';
import { callContext } from '../call-context.js';
import type { AppEnv } from '../context.js';
import { safeHeaderValue } from '../text-bounds.js';
import { sseResponse } from '../sse-response.js';

export function chatRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/chat/completions', async (c) => {
    const req = await readBody(c, ChatRequestSchema);
    const ctx = callContext(c);
    const deps = c.var.deps;
    if (!req.stream) {
      const { response, served, headers } = await runChatRouted(deps, ctx, req);
      for (const [k, v] of Object.entries(headers)) c.header(k, safeHeaderValue(v));
      c.header('x-gateway-provider', safeHeaderValue(served.provider.id));
      c.header('x-gateway-model', safeHeaderValue(served.model));
      return c.json(response);
    }
    const { resolved, chunks, headers } = await runChatStream(deps, ctx, req);
    return sseResponse(chunks, {
      includeUsage: req.stream_options?.include_usage === true,
      headers: {
        ...headers,
        'x-request-id': ctx.requestId,
        'x-session-id': ctx.sessionId,
        'x-gateway-provider': resolved.provider.id,
        'x-gateway-model': resolved.model,
      },
      log: deps.log,
      requestId: ctx.requestId,
      onEnd: c.var.deferEnd(),
    });
  });
  return app;
}
