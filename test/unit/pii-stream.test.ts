// Streaming redaction: any chunking gives exactly the one-shot output, entities are never split, memory is bounded.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createRedactionContext } from '../../src/policy/pii/context.js';
import { redact } from '../../src/policy/pii/redact.js';
import { createStreamRedactor } from '../../src/policy/pii/stream.js';
import { createRng } from '../../src/routing/strategies.js';
import { POSITIVES } from '../fixtures/pii-corpus/positives.js';

/** A seeded PRNG, so a failing chunking can be replayed from its seed. */
const prng = createRng;

function chunk(text: string, rnd: () => number): string[] {
  const maxSize = [1, 2, 4, 8, 32, 128, 1024][Math.floor(rnd() * 7)] ?? 4;
  const out: string[] = [];
  for (let i = 0; i < text.length; ) {
    const n = 1 + Math.floor(rnd() * maxSize);
    out.push(text.slice(i, i + n));
    i += n;
  }
  return out;
}

function streamed(chunks: readonly string[]): { text: string; findings: object } {
  const s = createStreamRedactor(createRedactionContext());
  let out = '';
  for (const c of chunks) out += s.push(c);
  out += s.flush();
  return { text: out, findings: s.findings() };
}

const dir = new URL('../fixtures/pii-corpus/', import.meta.url);
const negatives = ['prose.txt', 'code.txt', 'logs.txt'].map((f) => readFileSync(new URL(f, dir), 'utf8'));
const jwt = ['eyJhbGciOiJSUzI1NiJ9', 'eyJ' + 'a'.repeat(1500), 'b'.repeat(700)].join('.');
const pem = ['-----BEGIN EC ', 'PRIVATE KEY-----\n', 'MHcCAQEEIObLW92AqkWunJXowVR2Z5Ky\n'.repeat(40), '-----END EC ', 'PRIVATE KEY-----'].join('');
const edgeCases = [
  `Authorization: Bearer ${jwt}\n`,
  `key:\n${pem}\nthanks`,
  'ends with an address jane@example.com',
  'json {"email":"jane@example.com","ip":"203.0.113.9","card":"4111-1111-1111-1111"}',
  'digits 4111 1111 1111 1111 2 and 2001:db8::ff00:42:8329',
  `truncated ${pem.slice(0, 400)}`,
  // Indented in YAML, with a comment line the body pattern does not know: only the open-block hold keeps it whole.
  `tls:\n  key: |\n    ${pem.replace(/\n/g, '\n    ').replace('MHcC', '# rotated 2024\n    MHcC')}\n  done: true`,
];
const corpus = [...negatives, ...POSITIVES.map((p) => p.text), ...edgeCases].join('\n\n');

describe('createStreamRedactor', () => {
  it('equals one-shot redaction for many random chunkings of a mixed corpus', () => {
    const expected = redact(corpus, createRedactionContext());
    expect(Object.keys(expected.findings).length).toBeGreaterThan(5);
    for (let seed = 1; seed <= 150; seed++) {
      const got = streamed(chunk(corpus, prng(seed)));
      if (got.text !== expected.text) expect({ seed, text: got.text }).toEqual({ seed, text: expected.text });
      expect(got.findings).toEqual(expected.findings);
    }
  });

  it('equals one-shot redaction for every two-way split of each short case', () => {
    for (const { text } of [...POSITIVES, ...edgeCases.slice(2, 5).map((t) => ({ text: t }))]) {
      const expected = redact(text).text;
      for (let i = 0; i <= text.length; i++) {
        expect(streamed([text.slice(0, i), text.slice(i)]).text).toBe(expected);
      }
    }
  });

  it('releases ordinary text promptly, holding back only a bounded tail', () => {
    const s = createStreamRedactor();
    const prose = negatives[0] ?? '';
    let pushed = 0;
    let emitted = 0;
    for (let i = 0; i < prose.length; i += 5) {
      const piece = prose.slice(i, i + 5);
      pushed += piece.length;
      emitted += s.push(piece).length;
      expect(pushed - emitted).toBeLessThan(300);
    }
  });

  it('never emits part of a secret before the secret is complete', () => {
    const s = createStreamRedactor();
    let out = '';
    for (const c of `token: Bearer ${jwt} done`.match(/.{1,7}/gs) ?? []) out += s.push(c);
    expect(out).not.toContain('eyJ');
    out += s.flush();
    expect(out).toBe('token: Bearer [SECRET_1] done');
  });

  it('stays bounded on a giant unbroken token', () => {
    const s = createStreamRedactor();
    const blob = 'QUJD'.repeat(50_000);
    let out = '';
    for (let i = 0; i < blob.length; i += 100) out += s.push(blob.slice(i, i + 100));
    expect(blob.length - out.length).toBeLessThan(40_000);
    expect(out + s.flush()).toBe(blob);
  });

  it('shares placeholders with other messages of the same context', () => {
    const ctx = createRedactionContext();
    redact('user said jane@example.com', ctx);
    const s = createStreamRedactor(ctx);
    expect(s.push('write to jane@exa') + s.push('mple.com and bob@example.com') + s.flush()).toBe('write to [EMAIL_1] and [EMAIL_2]');
  });
});
