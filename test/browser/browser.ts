// Browser-test helpers: Debian's Chromium through playwright-core, a watch on console errors and failed requests, axe-core, screenshots.
import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';

export const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/ui/', import.meta.url));
const AXE = readFileSync(fileURLToPath(new URL('../../node_modules/axe-core/axe.min.js', import.meta.url)), 'utf8');

export async function launch(): Promise<Browser> {
  mkdirSync(ARTIFACTS, { recursive: true });
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/** Everything that went wrong in the page: console errors (CSP violations among them), uncaught errors, failed or ≥ 400 requests. */
export interface Problems {
  list: string[];
  /** Responses expected to be ≥ 400 while `fn` runs (a refused form), by URL path. */
  expecting<T>(paths: string[], fn: () => Promise<T>): Promise<T>;
}

export function watch(page: Page): Problems {
  const list: string[] = [];
  let allowed: string[] = [];
  page.on('console', (m) => {
    // The browser logs every ≥ 400 response as a console error: an expected one is not a problem.
    if (m.type() === 'error' && !(allowed.length > 0 && m.text().startsWith('Failed to load resource'))) list.push(`console: ${m.text()}`);
  });
  page.on('pageerror', (e) => list.push(`page error: ${e.message}`));
  page.on('requestfailed', (r) => list.push(`request failed: ${r.method()} ${r.url()} ${r.failure()?.errorText ?? ''}`));
  page.on('response', (r) => {
    if (r.status() >= 400 && !allowed.includes(new URL(r.url()).pathname)) list.push(`HTTP ${r.status()}: ${r.request().method()} ${r.url()}`);
  });
  return {
    list,
    async expecting(paths, fn) {
      allowed = paths;
      try {
        return await fn();
      } finally {
        allowed = [];
      }
    },
  };
}

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: unknown }>;
}

/**
 * Serious and critical accessibility violations on the page. axe goes in through the DevTools protocol (page.evaluate),
 * which the page's CSP does not govern, so the page keeps its real policy while it is checked.
 */
export async function axeViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = await page.evaluate(async () => {
    const axe = (globalThis as unknown as { axe: { run(o: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    return (await axe.run({ resultTypes: ['violations'] })).violations;
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} (${JSON.stringify(v.nodes.slice(0, 3).map((n) => n.target))})`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: `${ARTIFACTS}${name}.png`, fullPage: true });
}
