// POST /v1/embeddings.
import { Hono } from 'hono';
import { runRouted } from '../../broker/run-routed.js';
import { embeddingsDoor } from '../../doors/embeddings/door.js';
import { EmbeddingsRequestSchema } from '../../openai/schemas.js';
import { readBody } from '../body.js';
import { callContext } from '../call-context.js';
import type { AppEnv } from '../context.js';
import { unwrap } from '../routed.js';

export function embeddingsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  app.post('/embeddings', async (c) => {
    const req = await readBody(c, EmbeddingsRequestSchema);
    return c.json(unwrap(c, await runRouted(c.get('deps'), callContext(c), embeddingsDoor, req)));
  });
  return app;
}
