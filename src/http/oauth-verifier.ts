// Verifies bearer JWTs against the configured issuer's JWKS (discovered or configured), audience-bound to the gateway.
import { createRemoteJWKSet, decodeProtectedHeader, errors, jwtVerify, type JWTPayload } from 'jose';
import type { OAuthConfig } from './oauth-config.js';

export type OAuthOutcome =
  | { ok: true; claims: JWTPayload }
  | { ok: false; error: 'invalid_token' | 'insufficient_scope'; message: string }
  /** The issuer's keys could not be fetched: not the token's fault, so not a 401 that would make the client drop it. */
  | { ok: false; error: 'unavailable'; message: string; cause: unknown };

export interface OAuthVerifier {
  verify(token: string): Promise<OAuthOutcome>;
}

/** Three base64url segments; anything else is a virtual key, not a JWT. */
export const looksLikeJwt = (token: string): boolean => /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(token);

/** How long a failed issuer discovery is remembered before the next request tries again. */
const DISCOVERY_RETRY_MS = 10_000;

type Fetch = (url: string, init: { signal: AbortSignal; headers: Record<string, string> }) => Promise<Response>;

/** RFC 8414 first (well-known before the issuer's path), then OpenID discovery in both placements. */
async function discoverJwksUri(issuer: string, timeoutMs: number, fetchFn: Fetch): Promise<URL> {
  const u = new URL(issuer);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  const candidates = [
    `${u.origin}/.well-known/oauth-authorization-server${path}`,
    `${u.origin}/.well-known/openid-configuration${path}`,
    `${u.origin}${path}/.well-known/openid-configuration`,
  ];
  for (const url of new Set(candidates)) {
    let meta: { issuer?: unknown; jwks_uri?: unknown };
    try {
      const res = await fetchFn(url, { signal: AbortSignal.timeout(timeoutMs), headers: { accept: 'application/json' } });
      if (!res.ok) continue;
      meta = (await res.json()) as typeof meta;
    } catch {
      continue;
    }
    // RFC 8414 §3.3: metadata naming another issuer must not be used.
    if (meta.issuer === issuer && typeof meta.jwks_uri === 'string' && /^https?:\/\//.test(meta.jwks_uri)) return new URL(meta.jwks_uri);
  }
  throw new Error(`no authorization server metadata with a jwks_uri found for issuer ${issuer}`);
}

const CLAIM_REASONS: Record<string, string> = {
  iss: 'it was not issued by the configured issuer',
  aud: 'its audience does not include this gateway',
  nbf: 'it is not valid yet',
  exp: 'it has no expiry',
};

function reasonOf(err: unknown): OAuthOutcome & { ok: false } {
  const invalid = (why: string) => ({ ok: false as const, error: 'invalid_token' as const, message: `Invalid access token: ${why}.` });
  if (err instanceof errors.JWTExpired) return invalid('it has expired');
  if (err instanceof errors.JWTClaimValidationFailed) return invalid(CLAIM_REASONS[err.claim] ?? `its "${err.claim.slice(0, 40)}" claim is not accepted`);
  if (err instanceof errors.JOSEAlgNotAllowed) return invalid('its signing algorithm is not accepted');
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSMultipleMatchingKeys) return invalid('its signature does not verify');
  if (err instanceof errors.JWKSNoMatchingKey) return invalid("no signing key of the issuer matches it");
  if (err instanceof errors.JWKSTimeout || err instanceof errors.JWKSInvalid || !(err instanceof errors.JOSEError)) {
    return { ok: false, error: 'unavailable', message: "The gateway cannot fetch its OAuth issuer's signing keys right now; retry shortly.", cause: err };
  }
  return invalid('it is not a valid JWT');
}

function scopesOf(claims: JWTPayload): Set<string> {
  const out = new Set<string>();
  if (typeof claims.scope === 'string') for (const s of claims.scope.split(' ')) if (s) out.add(s);
  if (Array.isArray(claims.scp)) for (const s of claims.scp) if (typeof s === 'string') out.add(s);
  return out;
}

export function createOAuthVerifier(oauth: OAuthConfig, deps: { fetch?: Fetch } = {}): OAuthVerifier {
  const fetchFn: Fetch = deps.fetch ?? ((url, init) => fetch(url, init));
  const remote = (url: URL) => createRemoteJWKSet(url, { timeoutDuration: oauth.fetchTimeoutMs, cooldownDuration: 30_000, cacheMaxAge: 600_000 });
  let jwks: { set: Promise<ReturnType<typeof remote>>; failedAt: number | null } | null = null;

  function keySet(): Promise<ReturnType<typeof remote>> {
    if (jwks && (jwks.failedAt === null || Date.now() - jwks.failedAt < DISCOVERY_RETRY_MS)) return jwks.set;
    const entry: { set: Promise<ReturnType<typeof remote>>; failedAt: number | null } = {
      set: oauth.jwksUrl ? Promise.resolve(remote(new URL(oauth.jwksUrl))) : discoverJwksUri(oauth.issuer, oauth.fetchTimeoutMs, fetchFn).then(remote),
      failedAt: null,
    };
    entry.set.catch(() => void (entry.failedAt = Date.now()));
    jwks = entry;
    return entry.set;
  }

  return {
    async verify(token) {
      try {
        decodeProtectedHeader(token);
      } catch {
        return { ok: false, error: 'invalid_token', message: 'Invalid access token: it is not a valid JWT.' };
      }
      let claims: JWTPayload;
      try {
        const set = await keySet();
        ({ payload: claims } = await jwtVerify(token, set, {
          issuer: oauth.issuer,
          audience: oauth.resource,
          algorithms: oauth.algorithms,
          clockTolerance: oauth.clockToleranceSec,
          requiredClaims: ['exp'],
        }));
      } catch (err) {
        return reasonOf(err);
      }
      const have = scopesOf(claims);
      const missing = oauth.scopes.filter((s) => !have.has(s));
      if (missing.length) return { ok: false, error: 'insufficient_scope', message: `The access token lacks the scope(s) this gateway requires: ${missing.join(' ')}.` };
      return { ok: true, claims };
    },
  };
}

/** One verifier (one JWKS cache) per config snapshot: a reload that changes `auth.oauth` starts afresh. */
const verifiers = new WeakMap<OAuthConfig, OAuthVerifier>();

export function verifierFor(oauth: OAuthConfig): OAuthVerifier {
  let v = verifiers.get(oauth);
  if (!v) verifiers.set(oauth, (v = createOAuthVerifier(oauth)));
  return v;
}
