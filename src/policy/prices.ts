// Prices model calls in integer micro-dollars: config overrides first, then the bundled genai-prices table (MIT).
import { calcPrice } from '@pydantic/genai-prices';
import type { GatewayConfig, PriceOverride, ProviderKind } from '../config.js';

export interface TokenUsage {
  inputTokens: number;
  outputTokens: number;
  /** Part of inputTokens served from the provider's prompt cache. */
  cacheReadTokens?: number;
  /** Part of inputTokens written to the prompt cache (Anthropic bills these higher). */
  cacheWriteTokens?: number;
}

export interface PriceBook {
  /** Cost in micro-dollars, or null when the model has no known price (`cost_unknown`). */
  cost(providerId: string, model: string, usage: TokenUsage): number | null;
  /** Micro-dollars per million input and output tokens, for cost-aware routing; null when unknown. */
  rate(providerId: string, model: string): { input: number; output: number } | null;
}

/** Where the provider's models are listed in the price table. */
const TABLE_PROVIDER: Record<ProviderKind, string | null> = {
  openai: 'openai',
  'azure-openai': 'azure',
  anthropic: 'anthropic',
  gemini: 'google',
  'openai-compatible': null,
  mock: null,
};

const MICROS = 1_000_000;

function overrideCost(p: PriceOverride, u: TokenUsage): number {
  const cached = u.cacheReadTokens ?? 0;
  const written = u.cacheWriteTokens ?? 0;
  const plain = Math.max(0, u.inputTokens - cached - written);
  const usd =
    (plain * p.input + cached * (p.cacheRead ?? p.input) + written * (p.cacheWrite ?? p.input) + u.outputTokens * p.output) / MICROS;
  return Math.round(usd * MICROS);
}

export function createPriceBook(config: GatewayConfig): PriceBook {
  const unknown = new Set<string>();

  function tableCost(providerId: string, model: string, u: TokenUsage): number | null {
    const kind = config.providers[providerId]?.kind;
    const tableProvider = kind ? TABLE_PROVIDER[kind] : null;
    const memo = `${providerId}/${model}`;
    if (unknown.has(memo)) return null;
    const cached = u.cacheReadTokens ?? 0;
    const written = u.cacheWriteTokens ?? 0;
    const result = calcPrice(
      {
        input_tokens: u.inputTokens,
        output_tokens: u.outputTokens,
        cache_read_tokens: cached || undefined,
        cache_write_tokens: written || undefined,
      },
      model,
      tableProvider ? { providerId: tableProvider } : undefined,
    );
    if (!result) {
      unknown.add(memo); // a miss costs a full table scan; remember it
      return null;
    }
    return Math.round(result.total_price * MICROS);
  }

  function cost(providerId: string, model: string, u: TokenUsage): number | null {
    const override = config.providers[providerId]?.prices[model];
    if (override) return overrideCost(override, u);
    if (config.providers[providerId]?.kind === 'mock') return 0; // the mock provider is free by definition
    return tableCost(providerId, model, u);
  }

  return {
    cost,
    rate(providerId, model) {
      const input = cost(providerId, model, { inputTokens: MICROS, outputTokens: 0 });
      const output = cost(providerId, model, { inputTokens: 0, outputTokens: MICROS });
      return input === null || output === null ? null : { input, output };
    },
  };
}
