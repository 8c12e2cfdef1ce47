// Parses and validates a JSON request body with a zod schema, turning every failure into a clear 400.
import type { Context } from 'hono';
import type { z } from 'zod';
import { GatewayError } from '../errors.js';

/** Deeper JSON than any real request (tool schemas nest a dozen levels); recursive code downstream (stringify, audit) stays safe. */
export const MAX_JSON_DEPTH = 128;

/** True when the value nests deeper than `max` arrays/objects; iterative, so a hostile body cannot overflow the stack here. */
export function nestsDeeper(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length) {
    const [v, d] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (d >= max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) if (child !== null && typeof child === 'object') stack.push([child, d + 1]);
  }
  return false;
}

export async function readBody<S extends z.ZodType>(c: Context, schema: S): Promise<z.infer<S>> {
  let raw: unknown;
  try {
    raw = JSON.parse(await c.req.text());
  } catch {
    throw new GatewayError('invalid_json', 'The request body is not valid JSON.');
  }
  if (nestsDeeper(raw, MAX_JSON_DEPTH)) {
    throw new GatewayError('invalid_request', `The request body nests deeper than ${MAX_JSON_DEPTH} levels.`);
  }
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const param = issue.path.map(String).join('.');
  throw new GatewayError('invalid_request', `Invalid request: ${param || 'body'}: ${issue.message}`, { param: param || null });
}
