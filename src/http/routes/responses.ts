// POST /v1/responses (plain and streamed), GET and DELETE /v1/responses/{id}: the OpenAI Responses door and its stored responses.
import { Hono } from 'hono';
import { runRouted, runRoutedStream } from '../../broker/run-routed.js';
import { responsesDoor } from '../../doors/responses/door.js';
import { assertServable, ResponsesRequestSchema } from '../../doors/responses/schema.js';
import { responsesFraming } from '../../doors/responses/sse.js';
import { expandPrevious, present, presentEvents, resolveReferences, storeIfAsked, type Presented, type StoreScope } from '../../doors/responses/store.js';
import { GatewayError } from '../../errors.js';
import { readBody } from '../body.js';
import { callContext } from '../call-context.js';
import type { AppEnv } from '../context.js';
import { streamHeaders, unwrap } from '../routed.js';
import { eventStreamResponse } from '../sse-response.js';
import { isSafeText } from '../text-bounds.js';

const notFound = (id: string): GatewayError => new GatewayError('not_found', `Response with id '${id.slice(0, 200)}' not found.`, { param: 'response_id' });

/** An id the gateway could have made; anything else (NUL, controls, megabytes) is not found without a query. */
const plausible = (id: string): boolean => id.length <= 256 && isSafeText(id);

export function responsesRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();

  app.post('/responses', async (c) => {
    const req = await readBody(c, ResponsesRequestSchema);
    assertServable(req);
    const ctx = callContext(c);
    const deps = c.get('deps');
    const scope: StoreScope = { keyId: ctx.keyId, sessionId: ctx.sessionId };
    // References resolved first: the stored input then stands alone, whatever happens to the rows it named.
    const own = await resolveReferences(deps.repo, scope, req);
    const run = await expandPrevious(deps.repo, scope, own, deps.runtime.config.server.bodyLimitBytes);
    const p: Presented = { store: req.store !== false, previousResponseId: req.previous_response_id ?? null };
    const store = (res: Record<string, unknown>) => storeIfAsked(deps.repo, deps.log, scope, own, res, p);
    if (!req.stream) {
      const res = present(unwrap(c, await runRouted(deps, ctx, responsesDoor, run)), p);
      await store(res);
      return c.json(res);
    }
    const r = await runRoutedStream(deps, ctx, responsesDoor, run);
    if (!r.ok) throw r.error;
    return eventStreamResponse(presentEvents(r.value, p, store), responsesFraming(), {
      headers: streamHeaders(c, r),
      log: deps.log,
      requestId: ctx.requestId,
      onEnd: c.get('deferEnd')(),
    });
  });

  app.get('/responses/:id', async (c) => {
    const id = c.req.param('id');
    const row = plausible(id) ? await c.get('deps').repo.getStoredResponse(id, c.get('principal').keyId) : null;
    if (!row) throw notFound(id);
    return c.json(row.response as Record<string, unknown>);
  });

  app.delete('/responses/:id', async (c) => {
    const id = c.req.param('id');
    if (!plausible(id) || !(await c.get('deps').repo.deleteStoredResponse(id, c.get('principal').keyId))) throw notFound(id);
    return c.json({ id, object: 'response', deleted: true });
  });

  return app;
}
