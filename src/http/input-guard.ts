// Path segments and query values that reach the database must be short, printable, well-formed text: else a 400, never a 500.
import type { MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors.js';
import type { AppEnv } from './context.js';
import { isSafeText } from './text-bounds.js';

/** Ids, team names, session ids and filters are all far shorter; 256 leaves room for opaque client session ids (≤128). */
export const INPUT_MAX_CHARS = 256;

function check(value: string, what: string, param: string | null): void {
  if (value.length > INPUT_MAX_CHARS) {
    throw new GatewayError('invalid_request', `${what} is longer than ${INPUT_MAX_CHARS} characters.`, { param });
  }
  if (!isSafeText(value)) {
    throw new GatewayError('invalid_request', `${what} holds control characters, NUL or invalid Unicode.`, { param });
  }
}

/** Checks every path segment (percent-decoded) and every query value of the request. */
export function inputGuard(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const url = new URL(c.req.url);
    for (const raw of url.pathname.split('/')) {
      if (!raw) continue;
      let seg: string;
      try {
        seg = decodeURIComponent(raw);
      } catch {
        throw new GatewayError('invalid_request', 'A path segment is not valid percent-encoded UTF-8.', { param: 'path' });
      }
      check(seg, 'A path segment', 'path');
    }
    for (const [k, v] of url.searchParams) {
      check(k, 'A query parameter name', null);
      check(v, `Query parameter "${k}"`, k);
    }
    return next();
  };
}
