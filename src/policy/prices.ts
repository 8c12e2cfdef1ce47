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

/** USD per token, when the table prices a model linearly (no long-context tiers). */
interface LinearRates {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
}

const PROBE = 1_000_000;

export function createPriceBook(config: GatewayConfig): PriceBook {
  // Per `<provider>/<model>`: linear rates, 'tiered' (ask the table each time), or null (not in the table).
  const table = new Map<string, LinearRates | 'tiered' | null>();

  function calc(model: string, tableProvider: string | null, u: Record<string, number | undefined>): number | null {
    const r = calcPrice(u, model, tableProvider ? { providerId: tableProvider } : undefined);
    return r ? r.total_price : null;
  }

  /** A table lookup scans every model: do it once per model and keep per-token rates when prices are linear. */
  function entry(providerId: string, model: string, tableProvider: string | null): LinearRates | 'tiered' | null {
    const memo = `${providerId}/${model}`;
    let e = table.get(memo);
    if (e !== undefined) return e;
    const input = calc(model, tableProvider, { input_tokens: PROBE });
    if (input === null) e = null;
    else {
      const output = calc(model, tableProvider, { output_tokens: PROBE }) ?? 0;
      const small = (calc(model, tableProvider, { input_tokens: 1000 }) ?? 0) * (PROBE / 1000);
      const smallOut = (calc(model, tableProvider, { output_tokens: 1000 }) ?? 0) * (PROBE / 1000);
      const linear = Math.abs(small - input) <= 1e-9 * Math.max(1, input) && Math.abs(smallOut - output) <= 1e-9 * Math.max(1, output);
      e = linear
        ? {
            input: input / PROBE,
            output: output / PROBE,
            cacheRead: (calc(model, tableProvider, { input_tokens: PROBE, cache_read_tokens: PROBE }) ?? input) / PROBE,
            cacheWrite: (calc(model, tableProvider, { input_tokens: PROBE, cache_write_tokens: PROBE }) ?? input) / PROBE,
          }
        : 'tiered';
    }
    table.set(memo, e);
    return e;
  }

  function tableCost(providerId: string, model: string, u: TokenUsage): number | null {
    const kind = config.providers[providerId]?.kind;
    const tableProvider = kind ? TABLE_PROVIDER[kind] : null;
    const e = entry(providerId, model, tableProvider);
    if (e === null) return null;
    const cached = u.cacheReadTokens ?? 0;
    const written = u.cacheWriteTokens ?? 0;
    if (e !== 'tiered') {
      const plain = Math.max(0, u.inputTokens - cached - written);
      return Math.round((plain * e.input + cached * e.cacheRead + written * e.cacheWrite + u.outputTokens * e.output) * MICROS);
    }
    const usd = calc(model, tableProvider, {
      input_tokens: u.inputTokens,
      output_tokens: u.outputTokens,
      cache_read_tokens: cached || undefined,
      cache_write_tokens: written || undefined,
    });
    return usd === null ? null : Math.round(usd * MICROS);
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
