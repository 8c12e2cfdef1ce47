// GET /v1/models and /v1/models/{id}: the models the caller may use, in OpenAI's list shape.
import { Hono } from 'hono';
import { GatewayError } from '../../errors.js';
import type { ModelList } from '../../openai/types.js';
import type { AppEnv } from '../context.js';

export function modelsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const created = Math.floor(Date.now() / 1000);
  const list = (c: { var: AppEnv['Variables'] }): ModelList['data'] =>
    c.var.deps.resolver.list().map((m) => ({ id: m.id, object: 'model', created, owned_by: m.ownedBy }));

  app.get('/models', (c) => c.json({ object: 'list', data: list(c) } satisfies ModelList));
  app.get('/models/:id{.+}', (c) => {
    const id = c.req.param('id');
    const m = list(c).find((x) => x.id === id);
    if (!m) throw new GatewayError('model_not_found', `The model "${id}" does not exist.`, { param: 'model' });
    return c.json(m);
  });
  return app;
}
