// GET /ui/assets/*: the console's own script and stylesheet and the vendored uPlot, read once at start and served by the gateway (no CDN).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import type { Hono } from 'hono';
import { CONSOLE_JS } from './client-script.js';
import { CONSOLE_CSS } from './styles.js';
import type { UiEnv } from './ui-env.js';

interface Asset {
  body: string;
  type: string;
  etag: string;
}

const JS = 'text/javascript; charset=utf-8';
const CSS = 'text/css; charset=utf-8';

function asset(body: string, type: string): Asset {
  return { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"` };
}

/** uPlot from node_modules (a runtime dependency, so it is in the image): resolved from this module, wherever it is built to. */
function vendored(file: string): string {
  return readFileSync(createRequire(import.meta.url).resolve(`uplot/dist/${file}`), 'utf8');
}

let cached: Map<string, Asset> | undefined;

export function loadAssets(): Map<string, Asset> {
  cached ??= new Map([
    ['console.js', asset(CONSOLE_JS, JS)],
    ['console.css', asset(CONSOLE_CSS, CSS)],
    ['uPlot.iife.min.js', asset(vendored('uPlot.iife.min.js'), JS)],
    ['uPlot.min.css', asset(vendored('uPlot.min.css'), CSS)],
  ]);
  return cached;
}

/** Public (no session needed: the login page uses them, and they hold nothing secret); revalidated by ETag. */
export function assetRoutes(app: Hono<UiEnv>): void {
  const assets = loadAssets();
  app.get('/assets/:name', (c) => {
    const a = assets.get(c.req.param('name'));
    if (!a) return c.text('Not found', 404);
    c.header('etag', a.etag);
    c.header('cache-control', 'no-cache');
    if (c.req.header('if-none-match') === a.etag) return c.body(null, 304);
    return c.body(a.body, 200, { 'content-type': a.type });
  });
}
