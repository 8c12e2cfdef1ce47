// POST /v1/embeddings.
import { Hono } from 'hono';
import { runEmbeddingsRouted } from '../../broker/chat.js';
import { EmbeddingsRequestSchema } from '../../openai/schemas.js';
import { readBody } from '../body.js';
import { callContext } from '../call-context.js';
import type { AppEnv } from '../context.js';
import { safeHeaderValue } from '../text-bounds.js';

export function embeddingsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/embeddings', async (c) => {
    const req = await readBody(c, EmbeddingsRequestSchema);
    const { response, served, headers } = await runEmbeddingsRouted(c.var.deps, callContext(c), req);
    for (const [k, v] of Object.entries(headers)) c.header(k, safeHeaderValue(v));
    c.header('x-gateway-provider', safeHeaderValue(served.provider.id));
    c.header('x-gateway-model', safeHeaderValue(served.model));
    return c.json(response);
  });
  return app;
}
