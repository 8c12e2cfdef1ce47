// /admin/*: teams (config and database; delete) and virtual keys (create, list, rotate, revoke, expiry and rules), sessions and audit, spend, budgets, health, MCP tool pins, and the OpenAPI document.
import { Hono } from 'hono';
import { readBody } from '../http/body.js';
import { limitBody } from '../http/body-limit.js';
import type { AppEnv } from '../http/context.js';
import { inputGuard } from '../http/input-guard.js';
import { auditRoutes } from './audit-routes.js';
import { adminAuth } from './auth.js';
import { GatewayError } from '../errors.js';
import { CreateKeyInputSchema, TeamInputSchema, UpdateKeyInputSchema } from './keys-service.js';
import { healthRoutes } from './health-routes.js';
import { openApiDocument } from './openapi.js';
import { spendRoutes } from './spend-routes.js';
import { toolPinsRoutes } from './tool-pins-routes.js';


export function adminRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const admin = adminAuth();
  // The API's map is public while the gateway is (open, no admin key: the API itself is off); once a key exists it is the admin's.
  app.get(
    '/openapi.json',
    async (c, next) => ((await c.var.deps.runtime.keys.isOpen().catch(() => false)) ? next() : admin(c, next)),
    (c) => c.json(openApiDocument()),
  );
  app.use('*', admin);
  app.use('*', limitBody((c) => c.var.deps.runtime.config.server.adminBodyLimitBytes));
  app.use('*', inputGuard());

  app.get('/teams', async (c) => c.json({ data: await c.var.deps.admin.listTeams() }));
  app.put('/teams/:id', async (c) => c.json(await c.var.deps.admin.upsertTeam(c.req.param('id'), await readBody(c, TeamInputSchema))));
  app.delete('/teams/:id', async (c) => c.json(await c.var.deps.admin.deleteTeam(c.req.param('id'))));

  app.get('/keys', async (c) => c.json({ data: await c.var.deps.admin.listKeys(c.req.query('team')) }));
  app.post('/keys', async (c) => c.json(await c.var.deps.admin.createKey(await readBody(c, CreateKeyInputSchema)), 201));
  app.get('/keys/:id', async (c) => c.json(await c.var.deps.admin.getKey(c.req.param('id'))));
  app.post('/keys/:id/rotate', async (c) => c.json(await c.var.deps.admin.rotateKey(c.req.param('id')), 201));
  app.post('/keys/:id/revoke', async (c) => c.json(await c.var.deps.admin.revokeKey(c.req.param('id'))));
  app.patch('/keys/:id', async (c) => {
    const id = c.req.param('id');
    const body = await readBody(c, UpdateKeyInputSchema);
    // A key declared in gateway.yaml has no database row to change (and a reload would undo it): like config teams, 409.
    if (c.var.deps.runtime.config.keys.some((k) => k.id === id)) {
      throw new GatewayError('invalid_request', `Key "${id}" is declared in gateway.yaml; change or remove it there (config keys are read-only here).`, { status: 409 });
    }
    return c.json(await c.var.deps.admin.updateKey(id, body));
  });
  auditRoutes(app);
  spendRoutes(app);
  healthRoutes(app);
  toolPinsRoutes(app);
  return app;
}
