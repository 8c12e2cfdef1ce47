#!/usr/bin/env node
// The `gateway` command: the sources through tsx in a development checkout, else the compiled gateway (dist/, as in the image).
import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const source = `${root}src/main.ts`;
const compiled = `${root}dist/main.js`;
// Sources first where tsx is installed (a dev dependency): dist/ there may be older than src/, or mid-rebuild by `npm start`.
const tsx = existsSync(source) ? await import('tsx/esm/api').catch(() => null) : null;
if (tsx) {
  tsx.register();
  await import(pathToFileURL(source).href);
} else if (existsSync(compiled)) {
  await import(pathToFileURL(compiled).href);
} else {
  process.stderr.write('gateway: dist/main.js is missing: run `npm run build` first\n');
  process.exit(1);
}
