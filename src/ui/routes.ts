// uiRoutes(): the reviewer's console at /ui, server-rendered over the admin API; mounted by createApp next to /admin.
import { Hono } from 'hono';
import { limitBody } from '../http/body-limit.js';
import type { AdminFetch } from './admin-client.js';
import { assetRoutes } from './assets.js';
import { clearSessionCookie } from './auth.js';
import { notFound, onUiError } from './error-page.js';
import { consoleOn, requireSession } from './guard.js';
import { healthRoutes } from './health-page.js';
import { keysRoutes } from './keys-routes.js';
import { loginRoutes } from './login.js';
import { securityHeaders } from './security-headers.js';
import { sessionRoutes } from './session-page.js';
import { sessionsRoutes } from './sessions-page.js';
import { spendRoutes } from './spend-page.js';
import { toolsRoutes } from './tools-routes.js';
import type { UiEnv } from './ui-env.js';

export interface UiDeps {
  /** The app's own request function (`(path, init) => app.request(path, init)`): every figure comes from the admin API. */
  adminFetch: AdminFetch;
}

export function uiRoutes(deps: UiDeps): Hono<UiEnv> {
  const ui = new Hono<UiEnv>();
  ui.onError(onUiError);
  ui.use('*', securityHeaders());
  ui.use('*', consoleOn());
  ui.use('*', limitBody((c) => c.var.deps.runtime.config.server.adminBodyLimitBytes));
  assetRoutes(ui);
  loginRoutes(ui);
  ui.use('*', requireSession(deps.adminFetch));
  ui.get('/', (c) => c.redirect('/ui/sessions', 303));
  sessionsRoutes(ui);
  sessionRoutes(ui);
  spendRoutes(ui);
  keysRoutes(ui);
  toolsRoutes(ui);
  healthRoutes(ui);
  ui.post('/logout', (c) => {
    clearSessionCookie(c);
    return c.redirect('/ui/login', 303);
  });
  ui.all('*', notFound);
  return ui;
}
