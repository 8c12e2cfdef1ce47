// DNS-rebinding protection for the MCP routes: Host and Origin must be localhost, the configured host, or allow-listed.
import type { MiddlewareHandler } from 'hono';
import type { GatewayConfig } from '../../config.js';
import { GatewayError } from '../../errors.js';
import type { AppEnv } from '../../http/context.js';

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const WILDCARD = new Set(['0.0.0.0', '::', '[::]', '']);

function hostnameOf(host: string): string {
  if (host.startsWith('[')) return host.slice(0, host.indexOf(']') + 1).toLowerCase();
  return host.split(':')[0]!.toLowerCase();
}

export interface OriginPolicy {
  hostAllowed(host: string | undefined): boolean;
  originAllowed(origin: string | undefined): boolean;
}

export function createOriginPolicy(config: GatewayConfig): OriginPolicy {
  const bound = config.server.host.toLowerCase();
  const own = WILDCARD.has(bound) ? null : bound.includes(':') && !bound.startsWith('[') ? `[${bound}]` : bound;
  const hosts = new Set(config.mcp.allowedHosts.map((h) => h.toLowerCase()));
  const origins = new Set(config.mcp.allowedOrigins.map((o) => o.toLowerCase().replace(/\/$/, '')));
  // Bound to every interface with no allow-list, the gateway cannot know its public names, so Host is not checked.
  const checkHost = own !== null || hosts.size > 0;
  const known = (hostname: string) => LOOPBACK.has(hostname) || hostname === own;
  return {
    hostAllowed(host) {
      if (!checkHost) return true;
      if (!host) return false;
      const h = host.toLowerCase();
      return known(hostnameOf(h)) || hosts.has(h) || hosts.has(hostnameOf(h));
    },
    originAllowed(origin) {
      if (origin === undefined) return true; // not a browser
      const o = origin.toLowerCase().replace(/\/$/, '');
      if (origins.has(o) || origins.has('*')) return true;
      try {
        const u = new URL(o);
        return known(u.hostname) || hosts.has(u.host) || hosts.has(u.hostname);
      } catch {
        return false;
      }
    },
  };
}

export function originGuard(config: GatewayConfig): MiddlewareHandler<AppEnv> {
  const policy = createOriginPolicy(config);
  return async (c, next) => {
    if (!policy.hostAllowed(c.req.header('host'))) throw new GatewayError('forbidden', 'Host not allowed (DNS-rebinding protection).');
    if (!policy.originAllowed(c.req.header('origin'))) throw new GatewayError('forbidden', 'Origin not allowed (DNS-rebinding protection).');
    return next();
  };
}
