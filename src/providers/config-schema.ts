// zod schemas of the providers in gateway.yaml: one variant per provider kind, with timeouts and price overrides.
import { z } from 'zod';

const TimeoutsSchema = z
  .object({
    connectMs: z.number().int().positive().default(10_000),
    firstByteMs: z.number().int().positive().default(60_000),
    idleMs: z.number().int().positive().default(60_000),
    totalMs: z.number().int().positive().default(600_000),
  })
  .strict();

/** USD per million tokens, overriding the bundled price table for one model. */
const PriceOverrideSchema = z
  .object({
    input: z.number().min(0),
    output: z.number().min(0),
    cacheRead: z.number().min(0).optional(),
    cacheWrite: z.number().min(0).optional(),
  })
  .strict();

/** An empty string (e.g. `${VAR:-}` with VAR unset) counts as absent. */
export const optionalSecret = z.preprocess((v) => (v === '' ? undefined : v), z.string().optional());

const providerBase = {
  apiKey: optionalSecret,
  /** More keys for the same account(s); calls rotate over apiKey + apiKeys, skipping a key that just got a 429. */
  apiKeys: z.array(z.string()).default([]).transform((keys) => keys.filter((k) => k !== '')),
  baseUrl: z.url().optional(),
  headers: z.record(z.string(), z.string()).default({}),
  /** Model names this provider offers; listed by /v1/models. Any name still works as `<id>/<model>`. */
  models: z.array(z.string().min(1)).default([]),
  timeouts: TimeoutsSchema.default(TimeoutsSchema.parse({})),
  /** model → price override (negotiated rates, self-hosted models, anything the table lacks). */
  prices: z.record(z.string(), PriceOverrideSchema).default({}),
};

export const ProviderConfigSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('openai'), ...providerBase, organization: z.string().optional(), project: z.string().optional() }).strict(),
  z.object({ kind: z.literal('openai-compatible'), ...providerBase, baseUrl: z.url() }).strict(),
  z
    .object({
      kind: z.literal('anthropic'),
      ...providerBase,
      anthropicVersion: z.string().default('2023-06-01'),
      /** Anthropic requires max_tokens; used when the client sends none. */
      defaultMaxTokens: z.number().int().positive().default(4096),
    })
    .strict(),
  z.object({ kind: z.literal('gemini'), ...providerBase }).strict(),
  z
    .object({
      kind: z.literal('azure-openai'),
      ...providerBase,
      baseUrl: z.url(),
      apiVersion: z.string().default('2024-10-21'),
      /** model name → deployment name; a model not listed is used as the deployment name. */
      deployments: z.record(z.string(), z.string()).default({}),
    })
    .strict(),
  z
    .object({
      kind: z.literal('mock'),
      ...providerBase,
      /** Delay before the response (first byte for streams). */
      latencyMs: z.number().int().min(0).default(0),
      /** Delay between streamed chunks. */
      chunkDelayMs: z.number().int().min(0).default(0),
    })
    .strict(),
]);

export type ProviderConfig = z.infer<typeof ProviderConfigSchema>;
export type ProviderKind = ProviderConfig['kind'];
export type Timeouts = z.infer<typeof TimeoutsSchema>;
export type PriceOverride = z.infer<typeof PriceOverrideSchema>;

