// The `auth.oauth` config block: the gateway as an OAuth 2.1 protected resource (issuer, resource, JWKS, claim mapping).
import { z } from 'zod';

/** Asymmetric JWS algorithms only: `none` and HMAC (a shared secret the issuer would also hold) are never accepted. */
export const OAUTH_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'must be an http(s) URL')
  .refine((u) => !u.includes('#'), 'must not have a fragment');
const id = z.string().regex(/^[a-zA-Z0-9_.-]{1,64}$/, 'must be 1-64 letters, digits, "_", "." or "-"');
const claimName = z.string().min(1).max(100);

export const OAuthPrincipalSchema = z
  .object({
    /** The claim that names the caller; the trail shows it as key id `oauth:<value>`. */
    subjectClaim: claimName.default('sub'),
    /** A claim holding a team (string or array): its value, through `teams` when given, is a team id. */
    teamClaim: claimName.optional(),
    /** Claim value → team id. When given, only its entries map (an allow-list); when empty, the claim value itself is the team id. */
    teams: z.record(z.string(), id).default({}),
    /** The team of a token whose claims name none. */
    defaultTeam: id.optional(),
    /** A claim naming a config key (through `keys` when given): that key's rules bind the token, counted per subject. */
    keyClaim: claimName.optional(),
    /** Claim value → config key id (same rule: when empty, the claim value itself is the key id). */
    keys: z.record(z.string(), id).default({}),
    /** The config key whose rules bind a token whose claims name none. */
    defaultKey: id.optional(),
  })
  .strict();

export const OAuthConfigSchema = z
  .object({
    /** The authorization server: tokens' `iss` must equal it. */
    issuer: httpUrl,
    /** The canonical URL of the gateway's MCP endpoint as clients reach it (e.g. https://gateway.example.com/mcp): tokens' `aud` must include it. */
    resource: httpUrl,
    /** The issuer's JWKS; without it, discovered from the issuer's metadata (RFC 8414, then OpenID discovery). */
    jwksUrl: httpUrl.optional(),
    algorithms: z.array(z.enum(OAUTH_ALGORITHMS)).min(1).default(['RS256', 'ES256', 'EdDSA']),
    /** Leeway for `exp` and `nbf`, for clocks that drift. */
    clockToleranceSec: z.number().int().min(0).max(300).default(30),
    /** Timeout of each metadata or JWKS fetch. */
    fetchTimeoutMs: z.number().int().min(100).max(60_000).default(5_000),
    /** Scopes advertised in the metadata and on 401; a token must carry every one. */
    scopes: z.array(z.string().regex(/^[\x21\x23-\x5b\x5d-\x7e]+$/, 'must be a scope token')).default([]),
    /** Shown by clients on their consent screens. */
    resourceName: z.string().min(1).max(200).default('Agent gateway'),
    principal: OAuthPrincipalSchema.default(OAuthPrincipalSchema.parse({})),
  })
  .strict();

export type OAuthConfig = z.infer<typeof OAuthConfigSchema>;
export type OAuthPrincipalConfig = z.infer<typeof OAuthPrincipalSchema>;
