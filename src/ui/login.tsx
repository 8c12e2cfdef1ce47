// GET/POST /ui/login: the admin key in, a signed session cookie out (logout is a guarded POST in routes.ts); failed keys are throttled per address.
import type { Hono } from 'hono';
import type { FC } from 'hono/jsx';
import { oversizedKey, throttleAttempt } from '../admin/auth-attempt.js';
import { issueSession, readSession, safeEqual, safeNext, sessionCookie, setSessionCookie } from './auth.js';
import { sameOrigin } from './csrf.js';
import { Layout, Notice, render } from './layout.js';
import type { UiEnv } from './ui-env.js';

const LoginPage: FC<{ next: string; error?: string }> = ({ next, error }) => (
  <Layout title="Log in">
    <p>The reviewer's console shows agent sessions, spend, keys and health from the gateway's admin API.</p>
    {error ? <Notice kind="error">{error}</Notice> : null}
    <form method="post" action="/ui/login" class="card narrow">
      <input type="hidden" name="next" value={next} />
      <label for="admin-key">Admin key</label>
      <input id="admin-key" name="key" type="password" autocomplete="off" required autofocus spellcheck={false} />
      <p class="hint">The value of GATEWAY_ADMIN_KEY. The session lasts 8 hours; changing the admin key ends every session.</p>
      <button type="submit">Log in</button>
    </form>
  </Layout>
);

export function loginRoutes(app: Hono<UiEnv>): void {
  app.get('/login', (c) => {
    const next = safeNext(c.req.query('next'));
    if (readSession(c.var.deps.runtime.config.auth.adminKey ?? '', sessionCookie(c))) return c.redirect(next, 303);
    return render(c, <LoginPage next={next} />);
  });

  app.post('/login', async (c) => {
    const adminKey = c.var.deps.runtime.config.auth.adminKey ?? '';
    if (!sameOrigin(c)) return render(c, <LoginPage next="/ui/sessions" error="This form was sent from another site; open the console directly and log in there." />, 403);
    const form = await c.req.parseBody();
    const next = safeNext(typeof form.next === 'string' ? form.next : undefined);
    const given = typeof form.key === 'string' ? form.key : '';
    // Compared before the throttle counts, as /admin does: a wrong key is counted in one atomic step.
    const right = !!given && !oversizedKey(given, adminKey) && safeEqual(given, adminKey);
    const verdict = await throttleAttempt(c, c.var.deps, { surface: 'console', outcome: !given ? 'missing' : right ? 'right' : 'wrong' });
    if (verdict.refused) {
      c.header('retry-after', String(verdict.retryAfterSec));
      const wait = verdict.retryAfterSec === 1 ? '1 second' : `${verdict.retryAfterSec} seconds`;
      return render(c, <LoginPage next={next} error={`Too many failed attempts from your address. Log-ins from it are refused for ${wait}, even with the right key; try again then.`} />, 429);
    }
    if (!right) return render(c, <LoginPage next={next} error="That is not the admin key." />, 401);
    setSessionCookie(c, issueSession(adminKey).token);
    return c.redirect(next, 303);
  });
}
