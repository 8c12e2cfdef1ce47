// Edge helpers: header values that never throw, text checks, JSON depth, metric labels from config, and an SSE response that cannot be built.
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { closeUnread, sseResponse } from '../../src/http/sse-response.js';
import { nestsDeeper } from '../../src/http/body.js';
import { firstUnstorable, HEADER_VALUE_MAX, isSafeText, isStorableText, safeHeaderValue } from '../../src/http/text-bounds.js';
import { createLogger } from '../../src/log.js';
import type { ChatCompletionChunk } from '../../src/openai/types.js';
import { boundedLabel, createMetrics, knownModels, LABEL_MAX_CHARS, type ModelSource } from '../../src/tracing/metrics.js';

describe('safeHeaderValue', () => {
  it('is accepted by Headers for any string, and leaves printable ASCII alone', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 600 }), (s) => {
        const v = safeHeaderValue(s);
        expect(() => new Headers({ 'x-gateway-model': v })).not.toThrow();
        expect(v.length).toBeLessThanOrEqual(HEADER_VALUE_MAX);
        expect(v).toMatch(/^[\x20-\x7e]*$/);
      }),
    );
    expect(safeHeaderValue('gpt-4o-mini')).toBe('gpt-4o-mini');
    expect(safeHeaderValue('模型')).toBe(encodeURIComponent('模型'));
    expect(safeHeaderValue('a\ud800b')).toBe(`a${encodeURIComponent('\ufffd')}b`);
    expect(safeHeaderValue('a\r\nset-cookie: x')).toBe('a%0D%0Aset-cookie: x');
  });

  it('never cuts a percent escape in half', () => {
    const v = safeHeaderValue('m'.repeat(HEADER_VALUE_MAX - 1) + '模');
    expect(v).toBe('m'.repeat(HEADER_VALUE_MAX - 1));
  });
});

describe('text checks', () => {
  it.each([
    ['gpt-4o', true, true],
    ['模型 with spaces', true, true],
    ['emoji 😀', true, true],
    ['nul\u0000', false, false],
    ['bell\u0007', false, true],
    ['c1\u0085', false, true],
    ['lone\ud800', false, false],
    ['lone\udc00x', false, false],
  ])('%j: safe %s, storable %s', (s, safe, storable) => {
    expect(isSafeText(s)).toBe(safe);
    expect(isStorableText(s)).toBe(storable);
  });

  it('finds the first string Postgres would refuse, keys included', () => {
    expect(firstUnstorable({ a: ['ok', { b: 'x\u0000' }] })).toBe('a.1.b');
    expect(firstUnstorable({ ['k\ud800']: 1 })).toBe('k?');
    expect(firstUnstorable({ a: 'fine', b: [1, null, true] })).toBeNull();
  });

  it('measures JSON depth without recursion', () => {
    let deep: unknown = 1;
    for (let i = 0; i < 200_000; i++) deep = [deep];
    expect(nestsDeeper(deep, 128)).toBe(true);
    expect(nestsDeeper({ a: { b: { c: [1, 2, { d: 1 }] } } }, 128)).toBe(false);
    expect(nestsDeeper({ a: { b: 1 } }, 2)).toBe(false);
    expect(nestsDeeper({ a: { b: {} } }, 2)).toBe(true);
  });
});

describe('metric labels', () => {
  const source: ModelSource = {
    config: { models: { fast: { targets: [{ model: 'up/gpt-4o' }], rules: [{ targets: [{ model: 'cheap/mini' }] }] } } },
    providers: new Map([
      ['up', { models: () => ['gpt-4o-mini'] }],
      ['cheap', { models: () => [] }],
    ]),
  };

  it('knows aliases, declared models and alias targets, and nothing a client made up', () => {
    const known = knownModels(() => source);
    expect(known(null, 'fast')).toBe(true);
    expect(known(null, 'up/gpt-4o-mini')).toBe(true);
    expect(known(null, 'gpt-4o-mini')).toBe(true);
    expect(known('up', 'gpt-4o-mini')).toBe(true);
    expect(known('up', 'gpt-4o')).toBe(true);
    expect(known('cheap', 'mini')).toBe(true);
    expect(known('cheap', 'gpt-4o-mini')).toBe(false);
    expect(known('up', 'bob@example.com')).toBe(false);
    expect(known(null, 'nosuch/bob@example.com')).toBe(false);
  });

  it('follows a reload (a new providers map)', () => {
    let current = source;
    const known = knownModels(() => current);
    expect(known('up', 'o3')).toBe(false);
    current = { ...source, providers: new Map([['up', { models: () => ['o3'] }]]) };
    expect(known('up', 'o3')).toBe(true);
  });

  it('cuts label values to a bounded length and count', () => {
    const label = boundedLabel(3);
    expect(label('k'.repeat(10_000))).toHaveLength(LABEL_MAX_CHARS);
    expect(label(null)).toBe('none');
    expect(label('b')).toBe('b');
    expect(label('c')).toBe('_other');
  });

  it('renders unknown models as "other"', async () => {
    const m = createMetrics({ processMetrics: false, sources: {}, knownModel: knownModels(() => source) });
    const base = { endpoint: 'chat.completions', keyId: 'k', team: null, status: 200, errorCode: null, totalMs: 1, upstreamMs: 1 };
    m.llmCall({ ...base, provider: 'up', model: 'bob@example.com' });
    m.llmCall({ ...base, provider: 'up', model: 'gpt-4o-mini' });
    m.llmCall({ ...base, provider: null, model: 'x'.repeat(100_000) });
    const text = await m.render();
    expect(text).not.toContain('bob@example.com');
    expect(text).not.toContain('xxxxxxxx');
    expect(text).toContain('model="other"');
    expect(text).toContain('model="gpt-4o-mini"');
  });
});

describe('an SSE response that cannot be built', () => {
  function stream(log: string[]): AsyncGenerator<ChatCompletionChunk> {
    return (async function* () {
      try {
        yield { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [] };
        yield { id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [] };
      } finally {
        log.push('finally');
      }
    })();
  }

  it('closeUnread runs the finally of a generator that never started', async () => {
    const log: string[] = [];
    const g = stream(log);
    await g.return(undefined);
    expect(log).toEqual([]); // the trap: return() alone skips it
    const h = stream(log);
    await closeUnread(h);
    expect(log).toEqual(['finally']);
  });

  it('closes the stream and ends the request when the headers are refused', async () => {
    const log: string[] = [];
    let ended = 0;
    const build = () =>
      sseResponse(stream(log), { includeUsage: false, headers: { 'bad header name': 'x' }, log: createLogger('silent'), requestId: 'r', onEnd: () => ended++ });
    expect(build).toThrow();
    await vi.waitFor(() => expect(ended).toBe(1));
    expect(log).toEqual(['finally']);
  });

  it('percent-encodes header values instead of failing', async () => {
    const log: string[] = [];
    const res = sseResponse(stream(log), { includeUsage: false, headers: { 'x-gateway-model': '模型' }, log: createLogger('silent'), requestId: 'r', onEnd: () => undefined });
    expect(res.headers.get('x-gateway-model')).toBe(encodeURIComponent('模型'));
    await res.text();
    expect(log).toEqual(['finally']);
  });
});
