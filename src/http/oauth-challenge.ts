// The protected-resource metadata (RFC 9728) and its URL, and the WWW-Authenticate challenges that point clients to it.
import type { OAuthConfig } from './oauth-config.js';

export const PRM_PATH = '/.well-known/oauth-protected-resource';

/** RFC 9728 §3.1: the well-known segment goes between the host and the resource's path. */
export function metadataUrl(oauth: OAuthConfig): string {
  const u = new URL(oauth.resource);
  const path = u.pathname === '/' ? '' : u.pathname.replace(/\/$/, '');
  return `${u.origin}${PRM_PATH}${path}`;
}

export interface ProtectedResourceMetadata {
  resource: string;
  authorization_servers: string[];
  bearer_methods_supported: string[];
  scopes_supported?: string[];
  resource_name: string;
}

export function protectedResourceMetadata(oauth: OAuthConfig): ProtectedResourceMetadata {
  return {
    resource: oauth.resource,
    authorization_servers: [oauth.issuer],
    bearer_methods_supported: ['header'],
    ...(oauth.scopes.length ? { scopes_supported: oauth.scopes } : {}),
    resource_name: oauth.resourceName,
  };
}

export type BearerError = 'invalid_token' | 'insufficient_scope';

/** Quoted-string safe: descriptions are our own sentences, but a quote or control character must never split the header. */
const quote = (s: string): string => `"${s.replace(/[\x00-\x1f\x7f"\\]/g, ' ')}"`;

/** RFC 6750 §3 challenge with the MCP authorization spec's `resource_metadata` (and `scope` when scopes are required). */
export function bearerChallenge(oauth: OAuthConfig, error?: { code: BearerError; description: string }): string {
  const parts = [`realm="gateway"`, `resource_metadata=${quote(metadataUrl(oauth))}`];
  if (oauth.scopes.length) parts.push(`scope=${quote(oauth.scopes.join(' '))}`);
  if (error) parts.push(`error=${quote(error.code)}`, `error_description=${quote(error.description)}`);
  return `Bearer ${parts.join(', ')}`;
}
