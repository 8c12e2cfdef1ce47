// /admin/mcp/tools: pinned MCP tool definitions, and the approval (or rejection) of a changed one.
import type { Context, Hono } from 'hono';
import { readBody } from '../http/body.js';
import type { AppEnv } from '../http/context.js';
import { parseQuery } from './admin-query.js';
import { ToolPinsQuerySchema, ToolReviewSchema, type ToolReview } from './tool-pins-service.js';

/** An empty body means "approve whatever is pending" (no expected hash). */
async function review(c: Context<AppEnv>): Promise<ToolReview> {
  return (await c.req.text()).trim() === '' ? {} : readBody(c, ToolReviewSchema);
}

/** Registers the routes on the (already authenticated) admin app. */
export function toolPinsRoutes(app: Hono<AppEnv>): void {
  app.get('/mcp/tools', async (c) => c.json({ data: await c.var.deps.toolPins.list(parseQuery(ToolPinsQuerySchema, c.req.query())) }));
  app.post('/mcp/tools/:server/:tool/approve', async (c) => c.json(await c.var.deps.toolPins.approve(c.req.param('server'), c.req.param('tool'), await review(c))));
  app.post('/mcp/tools/:server/:tool/reject', async (c) => c.json(await c.var.deps.toolPins.reject(c.req.param('server'), c.req.param('tool'), await review(c))));
}
