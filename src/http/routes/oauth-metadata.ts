// GET /.well-known/oauth-protected-resource[/<resource path>]: RFC 9728 metadata, served only when `auth.oauth` is configured.
import { Hono, type Context } from 'hono';
import type { AppEnv } from '../context.js';
import { PRM_PATH, protectedResourceMetadata } from '../oauth-challenge.js';

/** The resource's own path and paths under it (`/mcp/<id>`): clients probe the form built from the URL they were given. */
function covers(resource: string, suffix: string): boolean {
  if (suffix === '') return true;
  const base = new URL(resource).pathname.replace(/\/$/, '');
  return suffix === base || suffix.startsWith(`${base}/`);
}

export function oauthMetadataRoutes(): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const serve = (c: Context<AppEnv>) => {
    const oauth = c.get('deps').runtime.config.auth.oauth;
    const suffix = c.req.path.slice(PRM_PATH.length).replace(/\/$/, '');
    if (!oauth || !covers(oauth.resource, suffix)) return c.notFound();
    // Public by design; browser-based MCP clients read it cross-origin before they hold any token.
    c.header('access-control-allow-origin', '*');
    c.header('cache-control', 'public, max-age=300');
    return c.json(protectedResourceMetadata(oauth));
  };
  app.get(PRM_PATH, serve);
  app.get(`${PRM_PATH}/*`, serve);
  return app;
}
