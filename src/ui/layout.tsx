// The page shell every console page shares: head (CSP-safe: assets from /ui/assets only), navigation, logout, notices.
import type { Context } from 'hono';
import type { Child, FC, PropsWithChildren } from 'hono/jsx';
import { CSRF_FIELD } from './csrf.js';

export type Section = 'sessions' | 'spend' | 'keys' | 'tools' | 'health';

const NAV: Array<[Section, string, string]> = [
  ['sessions', 'Sessions', '/ui/sessions'],
  ['spend', 'Spend', '/ui/spend'],
  ['keys', 'Keys and teams', '/ui/keys'],
  ['tools', 'MCP tools', '/ui/tools'],
  ['health', 'Health', '/ui/health'],
];

export interface LayoutProps {
  title: string;
  section?: Section;
  /** Present once logged in: the nav and the logout form need it. */
  csrf?: string;
  /** The printable view: no navigation, everything expanded. */
  print?: boolean;
  charts?: boolean;
}

export const Layout: FC<PropsWithChildren<LayoutProps>> = ({ title, section, csrf, print, charts, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <meta name="referrer" content="no-referrer" />
      <link rel="icon" href="data:," />
      <title>{`${title} · Gateway console`}</title>
      <link rel="stylesheet" href="/ui/assets/console.css" />
      {charts ? <link rel="stylesheet" href="/ui/assets/uPlot.min.css" /> : null}
      {charts ? <script src="/ui/assets/uPlot.iife.min.js" defer></script> : null}
      <script src="/ui/assets/console.js" defer></script>
    </head>
    <body class={print ? 'print' : undefined}>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header class="top">
        <a class="brand" href="/ui/sessions">
          Gateway console
        </a>
        {csrf && !print ? (
          <nav aria-label="Sections">
            <ul>
              {NAV.map(([id, label, href]) => (
                <li>
                  <a href={href} aria-current={id === section ? 'page' : undefined}>
                    {label}
                  </a>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
        {csrf && !print ? (
          <form method="post" action="/ui/logout" class="logout">
            <CsrfField token={csrf} />
            <button type="submit" class="link">
              Log out
            </button>
          </form>
        ) : null}
      </header>
      <main id="main">
        <h1>{title}</h1>
        {children}
      </main>
    </body>
  </html>
);

export const CsrfField: FC<{ token: string }> = ({ token }) => <input type="hidden" name={CSRF_FIELD} value={token} />;

export const Notice: FC<{ kind: 'ok' | 'error' | 'warn'; children: Child }> = ({ kind, children }) => (
  <div class={`notice ${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
    {children}
  </div>
);

/** A page as a full document (Hono's JSX renders fragments; the doctype keeps browsers out of quirks mode). */
export async function render(c: Context, page: Child, status = 200): Promise<Response> {
  const html = await Promise.resolve(page as unknown as string | Promise<string>);
  return c.html(`<!doctype html>${String(html)}`, status as 200);
}
