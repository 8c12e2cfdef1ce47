// Redaction: typed placeholders, stability across messages of one request, JSON walking and the four modes.
import { describe, expect, it } from 'vitest';
import { createRedactionContext } from '../../src/policy/pii/context.js';
import { redactJson } from '../../src/policy/pii/json.js';
import { applyPiiMode } from '../../src/policy/pii/mode.js';
import { redact } from '../../src/policy/pii/redact.js';

describe('redact', () => {
  it('replaces each entity with a typed placeholder and counts occurrences', () => {
    const r = redact('Mail jane@example.com or call (415) 555-2671; card 4111 1111 1111 1111, ip 203.0.113.9.');
    expect(r.text).toBe('Mail [EMAIL_1] or call [PHONE_1]; card [CREDIT_CARD_1], ip [IP_ADDRESS_1].');
    expect(r.findings).toEqual({ EMAIL: 1, PHONE: 1, CREDIT_CARD: 1, IP_ADDRESS: 1 });
  });

  it('gives the same value the same placeholder and a new value the next number', () => {
    const r = redact('a@example.com, b@example.com, A@Example.com, a@example.com');
    expect(r.text).toBe('[EMAIL_1], [EMAIL_2], [EMAIL_1], [EMAIL_1]');
    expect(r.findings).toEqual({ EMAIL: 4 });
  });

  it('treats formatting variants of one number as one value', () => {
    const r = redact('+1 415-555-2671 / (415) 555-2671 / 4111111111111111 / 4111-1111-1111-1111');
    expect(r.text).toBe('[PHONE_1] / [PHONE_1] / [CREDIT_CARD_1] / [CREDIT_CARD_1]');
  });

  it('keeps placeholders stable across the messages of one request when the context is reused', () => {
    const ctx = createRedactionContext();
    expect(redact('from jane@example.com', ctx).text).toBe('from [EMAIL_1]');
    expect(redact('to bob@example.com', ctx).text).toBe('to [EMAIL_2]');
    expect(redact('reply to jane@example.com', ctx).text).toBe('reply to [EMAIL_1]');
    expect(ctx.totals()).toEqual({ EMAIL: 3 });
    // A fresh context starts numbering again.
    expect(redact('to bob@example.com').text).toBe('to [EMAIL_1]');
  });

  it('never exposes values through the context object', () => {
    const ctx = createRedactionContext();
    redact('jane@example.com', ctx);
    expect(JSON.stringify(ctx)).not.toContain('jane');
  });

  it('honours the enabled types', () => {
    const ctx = createRedactionContext({ types: ['EMAIL'] });
    expect(redact('jane@example.com 203.0.113.9', ctx).text).toBe('[EMAIL_1] 203.0.113.9');
  });

  it('returns the text unchanged and no findings when nothing is found', () => {
    expect(redact('version 2.4.1 shipped in 2024 for $1,299.99')).toEqual({ text: 'version 2.4.1 shipped in 2024 for $1,299.99', findings: {} });
  });
});

describe('redactJson', () => {
  const messages = [
    { role: 'system', content: 'Be brief.' },
    { role: 'user', content: 'My email is jane@example.com' },
    { role: 'user', content: [{ type: 'text', text: 'and again jane@example.com, SSN 123-45-6789' }] },
  ];

  it('walks strings in arrays and objects and leaves keys and other values alone', () => {
    const input = { 'jane@example.com': 'jane@example.com', n: 4111111111111111, ok: true, nil: null, nested: { list: ['203.0.113.9', 7] } };
    const { value, findings } = redactJson(input, createRedactionContext());
    expect(value).toEqual({ 'jane@example.com': '[EMAIL_1]', n: 4111111111111111, ok: true, nil: null, nested: { list: ['[IP_ADDRESS_1]', 7] } });
    expect(findings).toEqual({ EMAIL: 1, IP_ADDRESS: 1 });
  });

  it('redacts chat messages coherently and does not mutate the input', () => {
    const before = JSON.stringify(messages);
    const { value, findings } = redactJson(messages, createRedactionContext());
    expect(value[1]?.content).toBe('My email is [EMAIL_1]');
    expect(value[2]?.content).toEqual([{ type: 'text', text: 'and again [EMAIL_1], SSN [US_SSN_1]' }]);
    expect(value[0]).toBe(messages[0]); // untouched branches are shared
    expect(findings).toEqual({ EMAIL: 2, US_SSN: 1 });
    expect(JSON.stringify(messages)).toBe(before);
  });

  it('shares one numbering between tool arguments and the tool result', () => {
    const ctx = createRedactionContext();
    const args = redactJson({ to: 'bob@example.com', body: 'hi' }, ctx).value;
    const result = redactJson({ content: [{ type: 'text', text: 'sent to bob@example.com' }], isError: false }, ctx).value;
    expect(args.to).toBe('[EMAIL_1]');
    expect(result.content[0]?.text).toBe('sent to [EMAIL_1]');
  });
});

describe('applyPiiMode', () => {
  const text = 'reach me at jane@example.com';
  it.each([
    ['off', text, {}, false],
    ['redact', 'reach me at [EMAIL_1]', { EMAIL: 1 }, false],
    ['block', text, { EMAIL: 1 }, true],
    ['audit', text, { EMAIL: 1 }, false],
  ] as const)('%s', (mode, output, findings, blocked) => {
    expect(applyPiiMode(mode, text, createRedactionContext())).toEqual({ output, findings, blocked });
  });

  it('does not block clean input and works on JSON values', () => {
    expect(applyPiiMode('block', { q: 'weather in Paris' }).blocked).toBe(false);
    const r = applyPiiMode('redact', { args: ['203.0.113.9'] });
    expect(r.output).toEqual({ args: ['[IP_ADDRESS_1]'] });
  });
});
