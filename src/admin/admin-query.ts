// Parses an admin route's query string with its zod schema; a bad value is a 400 in the admin error shape naming the parameter.
import type { z } from 'zod';
import { GatewayError } from '../errors.js';

export function parseQuery<T extends z.ZodType>(schema: T, q: Record<string, string>): z.output<T> {
  const r = schema.safeParse(q);
  if (!r.success) {
    const param = r.error.issues[0]?.path.map(String).join('.') || null;
    throw new GatewayError('invalid_request', `Invalid query: ${r.error.issues.map((i) => `${i.path.join('.') || '(query)'}: ${i.message}`).join('; ')}`, { param });
  }
  return r.data;
}

/** A query that parsed but does not make sense as a whole (e.g. `from` after `to`): 400 naming `param`. */
export function badQuery(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', `Invalid query: ${param}: ${message}`, { param });
}
