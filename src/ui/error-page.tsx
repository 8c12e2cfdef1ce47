// The console's own error and not-found pages (HTML, not the API's JSON), and the page that says the console is off.
import type { Context } from 'hono';
import type { FC } from 'hono/jsx';
import { asGatewayError, publicMessage } from '../errors.js';
import { Layout, render } from './layout.js';
import type { UiEnv } from './ui-env.js';

const ErrorPage: FC<{ title: string; message: string; csrf?: string; requestId?: string }> = ({ title, message, csrf, requestId }) => (
  <Layout title={title} csrf={csrf}>
    <p>{message}</p>
    {requestId ? <p class="muted">{`Request id: ${requestId}`}</p> : null}
    <p>
      <a href="/ui/sessions">Go to the sessions</a>
    </p>
  </Layout>
);

export function renderError(c: Context<UiEnv>, status: number, title: string, message: string): Promise<Response> {
  return render(c, <ErrorPage title={title} message={message} csrf={c.get('ui')?.csrf} requestId={c.get('requestId')} />, status);
}

export const consoleOff = (c: Context<UiEnv>) =>
  renderError(c, 404, 'The console is off', 'The reviewer\'s console and the admin API are off: set GATEWAY_ADMIN_KEY on the gateway to turn them on.');

export const notFound = (c: Context<UiEnv>) => renderError(c, 404, 'Not found', `Nothing at ${c.req.path}.`);

/** Errors thrown in a console route: the page says what the API would, and internals stay in the log. */
export function onUiError(err: Error, c: Context<UiEnv>): Promise<Response> {
  const e = asGatewayError(err);
  if (e.status >= 500 && e.code === 'internal_error') c.var.deps.log.error({ err, requestId: c.get('requestId'), path: c.req.path }, 'console error');
  for (const [k, v] of Object.entries(e.headers)) c.header(k, v);
  return renderError(c, e.status, e.status >= 500 ? 'Something went wrong' : 'That did not work', publicMessage(e));
}
