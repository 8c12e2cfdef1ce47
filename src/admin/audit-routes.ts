// /admin/sessions, /admin/audit and /admin/dead-letters: session lists, timelines, export, chain and checkpoint verification, signing keys, refused rows.
import type { Hono } from 'hono';
import { stream } from 'hono/streaming';
import { z } from 'zod';
import { GatewayError } from '../errors.js';
import type { AppEnv } from '../http/context.js';
import { createSessionsService, SessionQuerySchema } from '../tracing/sessions-service.js';

/** Postgres timestamps end at year 294276 and JS dates reach 275760: keep filters to years 1-9999. */
const ListQuerySchema = SessionQuerySchema.superRefine((q, ctx) => {
  for (const k of ['from', 'to'] as const) {
    const y = q[k]?.getUTCFullYear();
    if (y !== undefined && (y < 1 || y > 9999)) ctx.addIssue({ code: 'custom', path: [k], message: 'must be a date between the years 1 and 9999' });
  }
});
const KeyQuerySchema = z.object({ key: z.string().optional() }).strict();
/** GET /admin/sessions/{id}: `verify=true` adds the chain verification, computed over the same rows, read once. */
export const TimelineQuerySchema = z
  .object({
    key: z.string().optional().describe('The key id, when several keys used the same session id ("-" for calls made without a key).'),
    verify: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional()
      .describe('true: the answer also has `verify`, the chain verification of GET /admin/audit/verify?session= computed over the rows listed (one read).'),
    payloads: z
      .enum(['true', 'false'])
      .transform((v) => v === 'true')
      .optional()
      .describe('false: events carry `payload_parts` (the part names) instead of `payload`; GET /admin/sessions/{id}/events/{seq} has each one. Default true.'),
  })
  .strict();
/** An event's seq in a path: plain digits (no `1e3`, no sign), a positive integer a double holds exactly. */
const SeqSchema = z
  .string()
  .regex(/^[1-9][0-9]{0,15}$/)
  .transform(Number)
  .refine((n) => Number.isSafeInteger(n));
const VerifyQuerySchema = z.object({ session: z.string().optional(), key: z.string().optional() }).strict();
const DeadLetterQuerySchema = z.object({ limit: z.coerce.number().int().min(1).max(500).default(50) }).strict();

function query<T extends z.ZodType>(schema: T, q: Record<string, string>): z.output<T> {
  const r = schema.safeParse(q);
  if (!r.success) {
    const param = r.error.issues[0]?.path.map(String).join('.') || null;
    throw new GatewayError('invalid_request', `Invalid query: ${r.error.issues.map((i) => `${i.path.join('.') || '(query)'}: ${i.message}`).join('; ')}`, { param });
  }
  return r.data;
}

/** Registers the routes on the (already authenticated) admin app. */
export function auditRoutes(app: Hono<AppEnv>): void {
  const svc = (c: { var: AppEnv['Variables'] }) => createSessionsService(c.var.deps.repo, c.var.deps.checkpoints);

  app.get('/sessions', async (c) => c.json(await svc(c).list(query(ListQuerySchema, c.req.query()))));
  app.get('/sessions/:id', async (c) => {
    const { key, verify, payloads } = query(TimelineQuerySchema, c.req.query());
    return c.json(await svc(c).timeline(c.req.param('id'), key, { verify, payloads }));
  });
  app.get('/sessions/:id/events/:seq', async (c) => {
    const { key } = query(KeyQuerySchema, c.req.query());
    const seq = SeqSchema.safeParse(c.req.param('seq'));
    if (!seq.success) throw new GatewayError('invalid_request', 'seq must be a positive integer (an event number in the session).', { param: 'seq' });
    return c.json(await svc(c).event(c.req.param('id'), seq.data, key));
  });
  app.get('/sessions/:id/export', async (c) => {
    const { key } = query(KeyQuerySchema, c.req.query());
    const lines = svc(c).exportLines(c.req.param('id'), key);
    const first = await lines.next(); // a missing session is a 404, not an empty stream
    c.header('content-type', 'application/x-ndjson; charset=utf-8');
    c.header('content-disposition', `attachment; filename="session-${encodeURIComponent(c.req.param('id'))}.jsonl"`);
    return stream(c, async (s) => {
      if (!first.done) await s.write(first.value);
      for await (const line of lines) await s.write(line);
    });
  });
  app.get('/audit/verify', async (c) => {
    const { session, key } = query(VerifyQuerySchema, c.req.query());
    if (session) return c.json(await svc(c).verify(session, key));
    return c.json(await svc(c).verifyAll(key));
  });
  // The keys checkpoints are signed with, so a reviewer can check them away from this gateway.
  app.get('/audit/public-key', (c) => {
    const cp = c.var.deps.checkpoints;
    return c.json({ enabled: cp.enabled, keys: cp.publicKeys() });
  });
  // Rows and events the database refused even after cleaning, newest first: what an audit gap points at.
  app.get('/dead-letters', async (c) => {
    const { limit } = query(DeadLetterQuerySchema, c.req.query());
    return c.json({ data: await c.var.deps.repo.listDeadLetters(limit) });
  });
}
