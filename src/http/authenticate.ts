// Reads the caller's credential (Authorization: Bearer or x-api-key): a virtual key, or with `auth.oauth` an issuer's JWT; sets the principal.
import type { MiddlewareHandler } from 'hono';
import { GatewayError } from '../errors.js';
import { ANONYMOUS } from '../policy/key-store.js';
import type { AppEnv } from './context.js';
import { bearerChallenge } from './oauth-challenge.js';
import type { OAuthConfig } from './oauth-config.js';
import { principalFromClaims } from './oauth-principal.js';
import { looksLikeJwt, verifierFor } from './oauth-verifier.js';

export function bearerToken(authorization: string | undefined, apiKey: string | undefined): string | null {
  if (authorization) {
    const m = /^Bearer\s+(.+)$/i.exec(authorization.trim());
    if (m) return m[1]!.trim();
  }
  return apiKey?.trim() || null;
}

export const WWW_AUTHENTICATE = 'Bearer realm="gateway"';

const REASONS = {
  unknown: 'Invalid API key.',
  revoked: 'This API key has been revoked.',
  expired: 'This API key has expired.',
} as const;

/** Only the Authorization header carries OAuth tokens (bearer_methods_supported: header). */
const headerBearer = (authorization: string | undefined): string | null => {
  const m = authorization ? /^Bearer\s+(.+)$/i.exec(authorization.trim()) : null;
  return m ? m[1]!.trim() : null;
};

/**
 * Rejects a missing, unknown, revoked or expired credential with 401 before any route runs; open gateways (no keys
 * anywhere yet, no OAuth issuer) let everyone in. With OAuth on, every 401 points to the protected-resource metadata.
 */
export function authenticate(): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const rt = c.get('deps').runtime;
    const oauth: OAuthConfig | undefined = rt.config.auth.oauth;
    if (!oauth && (await rt.keys.isOpen())) {
      c.set('principal', ANONYMOUS);
      return next();
    }
    const challenge = (error?: Parameters<typeof bearerChallenge>[1]) => ({ 'www-authenticate': oauth ? bearerChallenge(oauth, error) : WWW_AUTHENTICATE });
    const token = bearerToken(c.req.header('authorization'), c.req.header('x-api-key'));
    if (!token) {
      const how = oauth ? 'send "Authorization: Bearer <key or access token>"' : 'send "Authorization: Bearer <key>" or "x-api-key"';
      throw new GatewayError('unauthorized', `Missing API key: ${how}.`, { headers: challenge() });
    }
    const jwt = oauth && token === headerBearer(c.req.header('authorization')) && looksLikeJwt(token) ? token : null;
    if (jwt && oauth) {
      const outcome = await verifierFor(oauth).verify(jwt);
      if (outcome.ok) {
        const mapped = await principalFromClaims(outcome.claims, oauth, rt);
        if (!mapped.ok && mapped.error === 'forbidden') throw new GatewayError('forbidden', mapped.message);
        if (!mapped.ok) throw new GatewayError('invalid_api_key', mapped.message, { headers: challenge({ code: 'invalid_token', description: mapped.message }) });
        c.set('principal', mapped.principal);
        return next();
      }
      if (outcome.error === 'unavailable') {
        c.get('deps').log.warn({ err: outcome.cause, requestId: c.get('requestId') }, 'oauth: issuer keys unavailable');
        throw new GatewayError('store_unavailable', outcome.message, { headers: { 'retry-after': '5' } });
      }
      if (outcome.error === 'insufficient_scope') {
        throw new GatewayError('forbidden', outcome.message, { headers: challenge({ code: 'insufficient_scope', description: outcome.message }) });
      }
      // A virtual key may happen to look like a JWT: it still gets its lookup before the token is refused.
      const asKey = await rt.keys.lookup(token);
      if (asKey.ok) {
        c.set('principal', asKey.principal);
        return next();
      }
      throw new GatewayError('invalid_api_key', outcome.message, { headers: challenge({ code: 'invalid_token', description: outcome.message }) });
    }
    const found = await rt.keys.lookup(token);
    if (!found.ok) {
      const refused = oauth ? challenge({ code: 'invalid_token', description: REASONS[found.reason] }) : challenge();
      throw new GatewayError('invalid_api_key', REASONS[found.reason], { headers: refused });
    }
    c.set('principal', found.principal);
    return next();
  };
}
