// The price book: overrides, the bundled table (linear rates cached, tiered prices asked each time), unknown models.
import { calcPrice } from '@pydantic/genai-prices';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config.js';
import { createPriceBook } from '../../src/policy/prices.js';

const config = parseConfig(
  {
    providers: {
      openai: { kind: 'openai', apiKey: 'k' },
      anthropic: { kind: 'anthropic', apiKey: 'k' },
      gemini: { kind: 'gemini', apiKey: 'k' },
      local: { kind: 'openai-compatible', baseUrl: 'http://x/v1', prices: { llama: { input: 1, output: 2, cacheRead: 0.5 } } },
      mock: { kind: 'mock' },
    },
  },
  {},
);
const book = createPriceBook(config);
const TABLE = { openai: 'openai', anthropic: 'anthropic', gemini: 'google' } as const;

describe('price book', () => {
  it.each([
    ['openai', 'gpt-4o-mini', { inputTokens: 1234, outputTokens: 567, cacheReadTokens: 200 }],
    ['openai', 'gpt-4o', { inputTokens: 10, outputTokens: 0 }],
    ['anthropic', 'claude-sonnet-4-5', { inputTokens: 5000, outputTokens: 300, cacheReadTokens: 1000, cacheWriteTokens: 2000 }],
    ['anthropic', 'claude-sonnet-4-5', { inputTokens: 300_000, outputTokens: 10 }], // long-context tier
    ['gemini', 'gemini-2.5-flash', { inputTokens: 777, outputTokens: 333 }],
  ] as const)('%s/%s matches the table exactly for %j', (provider, model, u) => {
    const expected = calcPrice(
      { input_tokens: u.inputTokens, output_tokens: u.outputTokens, cache_read_tokens: 'cacheReadTokens' in u ? u.cacheReadTokens : undefined, cache_write_tokens: 'cacheWriteTokens' in u ? u.cacheWriteTokens : undefined },
      model,
      { providerId: TABLE[provider] },
    );
    expect(expected).not.toBeNull();
    expect(book.cost(provider, model, u)).toBe(Math.round(expected!.total_price * 1_000_000));
  });

  it('uses overrides, prices the mock at 0 and says unknown for the rest', () => {
    expect(book.cost('local', 'llama', { inputTokens: 1_000_000, outputTokens: 1_000_000, cacheReadTokens: 500_000 })).toBe(3_250_000 - 500_000);
    expect(book.cost('mock', 'echo', { inputTokens: 100, outputTokens: 100 })).toBe(0);
    expect(book.cost('local', 'unpriced', { inputTokens: 1, outputTokens: 1 })).toBeNull();
    expect(book.cost('openai', 'no-such-model-xyz', { inputTokens: 1, outputTokens: 1 })).toBeNull();
    expect(book.rate('openai', 'gpt-4o-mini')).toEqual({ input: 150_000, output: 600_000 });
  });
});
