// Hostile input for the PII component: megabytes of near-miss shapes, deep nesting, long overlap chains.
// No timing assertions: the sizes are chosen so a super-linear scan would blow vitest's timeout by minutes.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { PolicyContext, StepHooks } from '../../src/policy/engine.js';
import { createRedactionContext } from '../../src/policy/pii/context.js';
import { detect, resolveOverlaps } from '../../src/policy/pii/detect.js';
import { detectJson, redactJson } from '../../src/policy/pii/json.js';
import { applyPiiMode, applyPiiModeAsync } from '../../src/policy/pii/mode.js';
import { redact } from '../../src/policy/pii/redact.js';
import { createStreamRedactor } from '../../src/policy/pii/stream.js';
import type { Candidate } from '../../src/policy/pii/types.js';
import { toAccessPolicy } from '../../src/policy/policy-schema.js';
import { piiStep } from '../../src/policy/steps/pii.js';
import { ADVERSARIAL } from '../fixtures/pii-corpus/adversarial.js';
import { POSITIVES } from '../fixtures/pii-corpus/positives.js';

const MB = 1_000_000;
const fill = (unit: string, size: number) => unit.repeat(Math.ceil(size / unit.length)).slice(0, size);
const dir = new URL('../fixtures/pii-corpus/', import.meta.url);
const corpus = [...['prose.txt', 'code.txt', 'logs.txt'].map((f) => readFileSync(new URL(f, dir), 'utf8')), ...POSITIVES.map((p) => p.text)].join('\n');

describe('adversarial shapes scan in linear time', () => {
  it('the reported trigger: 900 KB of "1 " finds nothing', () => {
    expect(detect('1 '.repeat(450_000))).toEqual([]);
  });

  it.each(ADVERSARIAL.map((a) => [a.name, a.unit] as const))('2 MB of %s: detect and redact complete', (_name, unit) => {
    const text = fill(unit, 2 * MB);
    const found = detect(text);
    const r = redact(text);
    // Whatever is found is found the same way by both, and redaction only shrinks entities into placeholders.
    expect(Object.values(r.findings).reduce((a, b) => a + (b ?? 0), 0)).toBe(found.length);
    if (found.length === 0) expect(r.text).toBe(text);
  });

  it('near-miss shapes really are misses (the scans had to work through every position)', () => {
    for (const unit of ['1 ', '1-', '4 ', '4 1-1 1-', '4', 'a@', '1.', 'a:1::', 'sk-', 'Bearer ', '-', 'DE00 ']) {
      expect(detect(fill(unit, 2 * MB)), unit).toEqual([]);
    }
  });

  it('4 MB of every shape at once completes, and a real card after it is still found', () => {
    const hostile = ADVERSARIAL.map((a) => fill(a.unit, Math.floor((4 * MB) / ADVERSARIAL.length))).join('\n');
    const text = `${hostile}\npay with 4111 1111 1111 1111 today`;
    expect(text.length).toBeGreaterThan(4 * MB - 100);
    expect(detect(text).filter((f) => f.type === 'CREDIT_CARD').map((f) => text.slice(f.start, f.end))).toContain('4111 1111 1111 1111');
  });

  it('resolves a 200,000-long chain of overlapping candidates', () => {
    const cands: Candidate[] = [];
    for (let i = 0; i < 200_000; i++) cands.push({ type: i % 2 ? 'PHONE' : 'CREDIT_CARD', start: i * 10, end: i * 10 + 15, matchStart: i * 10, priority: i % 2 ? 30 : 80 });
    const kept = resolveOverlaps(cands);
    expect(kept).toHaveLength(100_000);
    expect(kept.every((k, i) => i === 0 || k.start >= kept[i - 1]!.end)).toBe(true);
    expect(kept.every((k) => k.type === 'CREDIT_CARD')).toBe(true);
  });

  it('streams 1 MB of card-like groups in 4 KB deltas with the one-shot result', () => {
    const text = `${fill('4111 ', MB)} 4111 1111 1111 1111 ${fill('1 ', 100_000)}`;
    const s = createStreamRedactor(createRedactionContext());
    let out = '';
    for (let i = 0; i < text.length; i += 4096) out += s.push(text.slice(i, i + 4096));
    out += s.flush();
    expect(out).toBe(redact(text).text);
  });
});

/** `{"a":{"a":…"leaf"…}}` and `[[[…"leaf"…]]]`, built without recursion. */
function nested(depth: number, leaf: string): { obj: unknown; arr: unknown } {
  let obj: unknown = leaf;
  let arr: unknown = leaf;
  for (let i = 0; i < depth; i++) {
    obj = { a: obj, n: i };
    arr = [arr];
  }
  return { obj, arr };
}

function leafOf(v: unknown): unknown {
  while (typeof v === 'object' && v !== null) v = Array.isArray(v) ? v[0] : (v as { a: unknown }).a;
  return v;
}

describe('deeply nested client JSON', () => {
  const { obj, arr } = nested(100_000, 'mail ann@example.com');

  it('redacts and detects 100,000 levels deep without a RangeError', () => {
    expect(leafOf(redactJson(obj).value)).toBe('mail [EMAIL_1]');
    expect(leafOf(redactJson(arr).value)).toBe('mail [EMAIL_1]');
    expect(detectJson(obj)).toEqual({ EMAIL: 1 });
    expect(leafOf(obj)).toBe('mail ann@example.com'); // the input is not mutated
  });

  it('the pii step handles deep tool arguments in every mode', async () => {
    const ctx = (pii: string, input: unknown): PolicyContext => ({
      door: 'tool',
      principal: { keyId: 'k', teamId: null, key: toAccessPolicy({ pii }), team: null, metadata: {} },
      sessionId: 's',
      requestId: 'r',
      input,
      decisions: [],
      responseHeaders: {},
      mcp: { server: 'srv', tool: 'srv__t' },
    });
    const red = ctx('redact', { deep: obj });
    const hooks = (await piiStep('off').before(red)) as StepHooks;
    expect(leafOf((red.input as { deep: unknown }).deep)).toBe('mail [EMAIL_1]');
    expect(red.decisions).toEqual([{ step: 'pii', decision: 'redacted', rule: 'pii:redact:input', findings: { EMAIL: 1 } }]);
    expect(leafOf((hooks.output?.({ content: arr }) as { content: unknown }).content)).toBe('mail [EMAIL_1]');

    const blocked = await piiStep('off').before(ctx('block', { deep: arr }));
    expect(blocked).toMatchObject({ code: 'content_blocked', rule: 'pii:block' });
  });

  it('keeps the MCP progress token as it is', async () => {
    const input = { q: 'ann@example.com', _meta: { progressToken: 'ann@example.com', note: 'ann@example.com' } };
    const c: PolicyContext = {
      door: 'tool',
      principal: { keyId: 'k', teamId: null, key: toAccessPolicy({ pii: 'redact' }), team: null, metadata: {} },
      sessionId: 's',
      requestId: 'r',
      input,
      decisions: [],
      responseHeaders: {},
    };
    await piiStep('off').before(c);
    expect(c.input).toEqual({ q: '[EMAIL_1]', _meta: { progressToken: 'ann@example.com', note: '[EMAIL_1]' } });
  });
});

describe('sliced (async) redaction', () => {
  it('equals the one-shot result, for one long string and for many messages', async () => {
    const long = fill(corpus, 600_000);
    const messages = Array.from({ length: 300 }, (_, i) => ({ role: 'user', content: corpus.slice((i * 7919) % 40_000, ((i * 7919) % 40_000) + 3000) }));
    for (const input of [long, { messages }]) {
      const sync = applyPiiMode('redact', input, createRedactionContext());
      const sliced = await applyPiiModeAsync('redact', input, createRedactionContext(), undefined, 50_000);
      expect(sliced.output).toEqual(sync.output);
      expect(sliced.findings).toEqual(sync.findings);
      const audit = await applyPiiModeAsync('audit', input, createRedactionContext(), undefined, 50_000);
      expect(audit.output).toBe(input);
      expect(audit.findings).toEqual(sync.findings);
    }
  });

  it('gives the event loop turns while it works through 4 MB', async () => {
    const text = fill(ADVERSARIAL.map((a) => a.unit).join(' '), 4 * MB);
    let turns = 0;
    const timer = setInterval(() => turns++, 0);
    try {
      await applyPiiModeAsync('redact', { messages: [{ role: 'user', content: text }, { role: 'user', content: text.slice(0, MB) }] }, createRedactionContext());
    } finally {
      clearInterval(timer);
    }
    // 5 MB in 64 K slices: the interval must have fired between slices, not only once at the end.
    expect(turns).toBeGreaterThan(3);
  });
});
