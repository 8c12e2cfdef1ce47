// GET /v1/models and /v1/models/{id}: the models the caller may use, in OpenAI's list shape.
import { Hono } from 'hono';
import { GatewayError } from '../../errors.js';
import type { ModelList } from '../../openai/types.js';
import { principalAllowsModel } from '../../policy/steps/authorize.js';
import type { AppEnv } from '../context.js';

export function modelsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const created = Math.floor(Date.now() / 1000);
  // Only what the caller's key and team may use; an alias counts when its name or all its targets are allowed.
  const list = (c: { var: AppEnv['Variables'] }): ModelList['data'] => {
    const { deps, principal } = c.var;
    const route = { keyId: principal.keyId, team: principal.teamId, tag: null };
    return deps.resolver
      .list()
      .filter((m) => !principal.key || principalAllowsModel(principal, m.id, deps.router.plan(m.id, route).candidates.map((t) => t.key)))
      .map((m) => ({ id: m.id, object: 'model', created, owned_by: m.ownedBy }));
  };

  app.get('/models', (c) => c.json({ object: 'list', data: list(c) } satisfies ModelList));
  app.get('/models/:id{.+}', (c) => {
    const id = c.req.param('id');
    const m = list(c).find((x) => x.id === id);
    if (!m) throw new GatewayError('model_not_found', `The model "${id}" does not exist.`, { param: 'model' });
    return c.json(m);
  });
  return app;
}
