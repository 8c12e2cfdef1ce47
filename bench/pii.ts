// `npx tsx bench/pii.ts`: PII throughput (one-shot, streaming) in KB/ms, plus a findings census on real READMEs.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { detect } from '../src/policy/pii/detect.js';
import { redact } from '../src/policy/pii/redact.js';
import { createStreamRedactor } from '../src/policy/pii/stream.js';
import { POSITIVES } from '../test/fixtures/pii-corpus/positives.js';

const root = new URL('../', import.meta.url);
const fixture = (f: string) => readFileSync(new URL(`test/fixtures/pii-corpus/${f}`, root), 'utf8');
const clean = ['prose.txt', 'code.txt', 'logs.txt'].map(fixture).join('\n');
const mixed = [clean, ...POSITIVES.map((p) => p.text)].join('\n');

function time(label: string, text: string, run: (t: string) => void, reps = 20): void {
  run(text); // warm up the regexes and the JIT
  const t0 = performance.now();
  for (let i = 0; i < reps; i++) run(text);
  const ms = (performance.now() - t0) / reps;
  console.log(`${label.padEnd(34)} ${(text.length / 1024).toFixed(0).padStart(5)} KB  ${(text.length / 1024 / ms).toFixed(2).padStart(7)} KB/ms`);
}

function streamIn(size: number) {
  return (t: string) => {
    const s = createStreamRedactor();
    for (let i = 0; i < t.length; i += size) s.push(t.slice(i, i + size));
    s.flush();
  };
}

const big = (t: string) => t.repeat(Math.ceil(1_000_000 / t.length));
time('redact, clean text', big(clean), (t) => redact(t));
time('redact, text with PII', big(mixed), (t) => redact(t));
time('stream, 4-char deltas, with PII', big(mixed), streamIn(4), 5);
time('stream, 64-char deltas, with PII', big(mixed), streamIn(64), 5);

/** Census over the Markdown shipped in node_modules: text nobody wrote for this test. */
function markdownFiles(dir: string, out: string[], depth = 0): string[] {
  if (depth > 4 || out.length >= 2000) return out;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p, { throwIfNoEntry: false });
    if (!st) continue;
    if (st.isDirectory()) markdownFiles(p, out, depth + 1);
    else if (/\.md$/i.test(name) && st.size < 200_000) out.push(p);
  }
  return out;
}
if (process.argv.includes('--census')) {
  const files = markdownFiles(new URL('node_modules', root).pathname, []);
  const census = new Map<string, string[]>();
  let bytes = 0;
  for (const f of files) {
    const text = readFileSync(f, 'utf8');
    bytes += text.length;
    for (const d of detect(text)) {
      const key = d.kind ? `${d.type}/${d.kind}` : d.type;
      census.set(key, [...(census.get(key) ?? []), text.slice(d.start, d.end)]);
    }
  }
  console.log(`\ncensus: ${files.length} Markdown files, ${(bytes / 1e6).toFixed(1)} MB`);
  for (const [k, v] of census) console.log(`${k.padEnd(26)} ${String(v.length).padStart(5)}  e.g. ${v.slice(0, 6).map((s) => JSON.stringify(s.slice(0, 40))).join(' ')}`);
}
