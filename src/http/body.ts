// Parses and validates a JSON request body with a zod schema, turning every failure into a clear 400.
import type { Context } from 'hono';
import type { z } from 'zod';
import { GatewayError } from '../errors.js';

export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch {
    throw new GatewayError('invalid_json', 'The request body is not valid JSON.');
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = issue.path.map(String).join('.');
  throw new GatewayError('invalid_request', `Invalid request: ${param || 'body'}: ${issue.message}`, { param: param || null });
}
