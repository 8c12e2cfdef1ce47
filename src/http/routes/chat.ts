// POST /v1/chat/completions.
import { Hono } from 'hono';
import { runRouted, runRoutedStream } from '../../broker/run-routed.js';
import { chatDoor } from '../../doors/chat/door.js';
import { ChatRequestSchema } from '../../openai/schemas.js';
import { readBody } from '../body.js';
import { callContext } from '../call-context.js';
import type { AppEnv } from '../context.js';
import { streamHeaders, unwrap } from '../routed.js';
import { sseResponse } from '../sse-response.js';

export function chatRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/chat/completions', async (c) => {
    const req = await readBody(c, ChatRequestSchema);
    const ctx = callContext(c);
    const deps = c.get('deps');
    if (!req.stream) return c.json(unwrap(c, await runRouted(deps, ctx, chatDoor, req)));
    const r = await runRoutedStream(deps, ctx, chatDoor, req);
    if (!r.ok) throw r.error;
    return sseResponse(r.value, {
      includeUsage: req.stream_options?.include_usage === true,
      headers: streamHeaders(c, r),
      log: deps.log,
      requestId: ctx.requestId,
      onEnd: c.get('deferEnd')(),
    });
  });
  return app;
}
