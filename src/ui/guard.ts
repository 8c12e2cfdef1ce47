// The console's gates: off without an admin key; a valid session for every page; a CSRF token and a same-origin browser for every change.
import type { MiddlewareHandler } from 'hono';
import { createAdminClient, type AdminFetch } from './admin-client.js';
import { clearSessionCookie, readSession, sessionCookie } from './auth.js';
import { CSRF_FIELD, csrfToken, csrfValid, sameOrigin } from './csrf.js';
import { consoleOff, renderError } from './error-page.js';
import type { UiEnv } from './ui-env.js';

const READS = new Set(['GET', 'HEAD']);

/** Like /admin: without GATEWAY_ADMIN_KEY there is no console (404), read per request so a config reload applies. */
export function consoleOn(): MiddlewareHandler<UiEnv> {
  return async (c, next) => (c.var.deps.runtime.config.auth.adminKey ? next() : consoleOff(c));
}

export function requireSession(adminFetch: AdminFetch): MiddlewareHandler<UiEnv> {
  return async (c, next) => {
    const adminKey = c.var.deps.runtime.config.auth.adminKey ?? '';
    const cookie = sessionCookie(c);
    const session = readSession(adminKey, cookie);
    const read = READS.has(c.req.method);
    if (!session) {
      if (cookie) clearSessionCookie(c);
      if (read) return c.redirect(`/ui/login?next=${encodeURIComponent(c.req.path + new URL(c.req.url).search)}`, 303);
      return renderError(c, 401, 'Log in again', 'Your console session has ended (it lasts 8 hours, and ends when the admin key changes). Nothing was changed.');
    }
    const csrf = csrfToken(adminKey, session.nonce);
    if (!read) {
      if (!sameOrigin(c)) return renderError(c, 403, 'Refused', 'This change was sent from another site. Nothing was changed.');
      const body = await c.req.parseBody();
      if (!csrfValid(adminKey, session.nonce, body[CSRF_FIELD])) {
        return renderError(c, 403, 'Refused', 'The form had no valid CSRF token (a stale page, or a request from elsewhere). Reload the page and try again. Nothing was changed.');
      }
    }
    c.set('ui', { admin: createAdminClient(adminFetch, adminKey), csrf });
    await next();
  };
}
