// POST /v1/embeddings.
import { Hono } from 'hono';
import { runEmbeddings } from '../../broker/chat.js';
import { EmbeddingsRequestSchema } from '../../openai/schemas.js';
import { readBody } from '../body.js';
import { callContext } from '../call-context.js';
import type { AppEnv } from '../context.js';

export function embeddingsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/embeddings', async (c) => {
    const req = await readBody(c, EmbeddingsRequestSchema);
    return c.json(await runEmbeddings(c.var.deps, callContext(c), req));
  });
  return app;
}
