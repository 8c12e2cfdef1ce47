// GET /v1/models and /v1/models/{id}: the models the caller may use, in OpenAI's list shape, or Anthropic's for Anthropic clients.
import { Hono, type Context } from 'hono';
import { renderAnthropicError } from '../../doors/messages/errors.js';
import { GatewayError } from '../../errors.js';
import type { ModelList } from '../../openai/types.js';
import { principalAllowsModel } from '../../policy/steps/authorize.js';
import type { AppEnv } from '../context.js';

type Listed = ModelList['data'][number];

interface AnthropicModel {
  type: 'model';
  id: string;
  display_name: string;
  created_at: string;
}

/** Anthropic's SDK and Claude Code (model discovery) always send anthropic-version; OpenAI clients never do. */
const isAnthropic = (c: Context<AppEnv>): boolean => c.req.header('anthropic-version') !== undefined;

const anthropicModel = (m: Listed): AnthropicModel => ({ type: 'model', id: m.id, display_name: m.id, created_at: new Date(m.created * 1000).toISOString() });

/** Anthropic's cursor pagination (`limit`, `after_id`, `before_id`); without a limit the whole list, as one page. */
function anthropicPage(c: Context<AppEnv>, all: Listed[]) {
  const q = c.req.query();
  const limit = q.limit === undefined ? all.length : Number(q.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) throw new GatewayError('invalid_request', 'limit: must be an integer from 1 to 1000.', { param: 'limit' });
  let start = 0;
  let end = all.length;
  if (q.after_id !== undefined) start = all.findIndex((m) => m.id === q.after_id) + 1;
  if (q.before_id !== undefined) end = Math.max(0, all.findIndex((m) => m.id === q.before_id));
  const from = q.before_id !== undefined && q.after_id === undefined ? Math.max(start, end - limit) : start;
  const page = all.slice(from, Math.min(end, from + limit)).map(anthropicModel);
  const hasMore = q.before_id !== undefined && q.after_id === undefined ? from > start : from + page.length < end;
  return { data: page, has_more: hasMore, first_id: page[0]?.id ?? null, last_id: page.at(-1)?.id ?? null };
}

export function modelsRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const created = Math.floor(Date.now() / 1000);
  // Only what the caller's key and team may use; an alias counts when its name or all its targets are allowed.
  const list = (c: { var: AppEnv['Variables'] }): Listed[] => {
    const { deps, principal } = c.var;
    const route = { keyId: principal.keyId, team: principal.teamId, tag: null };
    return deps.resolver
      .list()
      .filter((m) => !principal.key || principalAllowsModel(principal, m.id, deps.router.plan(m.id, route).candidates.map((t) => t.key)))
      .map((m) => ({ id: m.id, object: 'model', created, owned_by: m.ownedBy }));
  };

  // Errors of these routes answer an Anthropic client in its own shape.
  app.onError((err, c) => {
    if (!isAnthropic(c)) throw err;
    return renderAnthropicError(c, err, c.var.deps.log);
  });

  app.get('/models', (c) => (isAnthropic(c) ? c.json(anthropicPage(c, list(c))) : c.json({ object: 'list', data: list(c) } satisfies ModelList)));
  app.get('/models/:id{.+}', (c) => {
    const id = c.req.param('id');
    const m = list(c).find((x) => x.id === id);
    if (!m) throw new GatewayError('model_not_found', `The model "${id}" does not exist.`, { param: 'model' });
    return c.json(isAnthropic(c) ? anthropicModel(m) : m);
  });
  return app;
}
