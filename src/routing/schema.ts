// Zod schemas for model aliases (`models:`) and the global `routing:` block; config.ts composes them.
import { z } from 'zod';

export const STRATEGIES = ['weighted', 'round-robin', 'least-latency', 'cost', 'fallback'] as const;
export type Strategy = (typeof STRATEGIES)[number];

/** Per-target overrides, enforced by the executor on top of the provider's own timeouts. */
const TargetTimeoutsSchema = z
  .object({
    firstByteMs: z.number().int().positive().optional(),
    idleMs: z.number().int().positive().optional(),
    totalMs: z.number().int().positive().optional(),
  })
  .strict();

export const AliasTargetSchema = z
  .object({
    model: z.string().regex(/^[^/]+\/.+$/, 'must be "<providerId>/<model>"'),
    weight: z.number().positive().default(1),
    timeouts: TargetTimeoutsSchema.optional(),
  })
  .strict();

const oneOrMany = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]).transform((v) => (Array.isArray(v) ? v : [v]));

/** All given conditions must hold. */
const RuleWhenSchema = z
  .object({
    minInputTokens: z.number().int().min(0).optional(),
    maxInputTokens: z.number().int().min(0).optional(),
    tools: z.boolean().optional(),
    images: z.boolean().optional(),
    /** `x-route-tag` header, else `metadata.route_tag` in the body. */
    tag: oneOrMany.optional(),
    team: oneOrMany.optional(),
    key: oneOrMany.optional(),
  })
  .strict();

const RuleSchema = z
  .object({
    name: z.string().min(1).optional(),
    when: RuleWhenSchema,
    strategy: z.enum(STRATEGIES).optional(),
    targets: z.array(AliasTargetSchema).min(1),
  })
  .strict();

const RetrySchema = z
  .object({
    /** Extra attempts after the first, spent after the other targets were tried (fallback first, then retry). */
    attempts: z.number().int().min(0).max(10).default(1),
    baseMs: z.number().int().min(0).default(100),
    maxMs: z.number().int().min(0).default(2_000),
    /** A longer `retry-after` is not waited for: that target is skipped instead. */
    maxRetryAfterMs: z.number().int().min(0).default(10_000),
  })
  .strict();

const HedgeSchema = z
  .object({
    /** Fixed delay before the hedge; also used until `percentile` has enough samples. */
    delayMs: z.number().int().min(0).optional(),
    /** Hedge when the attempt is slower than this percentile of the target's recent first-byte latency. */
    percentile: z.number().gt(0).lt(100).optional(),
    minSamples: z.number().int().min(1).default(20),
    /** Attempts in flight at once, the first included. */
    maxParallel: z.number().int().min(2).max(4).default(2),
  })
  .strict()
  .refine((h) => h.delayMs !== undefined || h.percentile !== undefined, 'give "delayMs", "percentile" or both');

const FallbackOnSchema = z
  .object({
    /** Upstream 4xx statuses that also fall back (5xx, 429, timeouts and connection errors always do). */
    statuses: z.array(z.number().int().min(400).max(499)).default([]),
    /** If given, a listed 4xx falls back only when its message contains one of these (case-insensitive). */
    messages: z.array(z.string().min(1)).default([]),
  })
  .strict();

export const AliasSchema = z
  .object({
    strategy: z.enum(STRATEGIES).default('weighted'),
    targets: z.array(AliasTargetSchema).min(1),
    rules: z.array(RuleSchema).default([]),
    retry: RetrySchema.default(RetrySchema.parse({})),
    hedge: HedgeSchema.optional(),
    fallbackOn: FallbackOnSchema.default(FallbackOnSchema.parse({})),
  })
  .strict();

const BreakerSchema = z
  .object({
    /** Opens after this many failures in a row. */
    consecutiveFailures: z.number().int().min(1).default(5),
    /** Or when this share of calls in the window failed (with at least minRequests calls). */
    errorRatio: z.number().gt(0).max(1).default(0.5),
    minRequests: z.number().int().min(1).default(20),
    windowMs: z.number().int().positive().default(30_000),
    /** Time open before half-open probes are let through. */
    cooldownMs: z.number().int().positive().default(30_000),
    halfOpenProbes: z.number().int().min(1).default(1),
  })
  .strict();

const RetryBudgetSchema = z
  .object({
    /** Each request earns this many retry tokens for its provider ... */
    ratio: z.number().min(0).max(1).default(0.2),
    /** ... plus a trickle per second, so a quiet provider can still be retried. */
    minPerSecond: z.number().min(0).default(1),
    /** Bucket size; the bucket starts full. */
    burst: z.number().int().min(0).default(10),
  })
  .strict();

const HealthChecksSchema = z
  .object({
    enabled: z.boolean().default(false),
    intervalMs: z.number().int().positive().default(15_000),
    timeoutMs: z.number().int().positive().default(10_000),
  })
  .strict();

export const RoutingSchema = z
  .object({
    breaker: BreakerSchema.default(BreakerSchema.parse({})),
    retryBudget: RetryBudgetSchema.default(RetryBudgetSchema.parse({})),
    /** Active probes of targets whose breaker is open (a 1-token chat); passive health always runs. */
    healthChecks: HealthChecksSchema.default(HealthChecksSchema.parse({})),
    /** Share of least-latency picks that go to a random target, so recovered targets get measured. */
    exploration: z.number().min(0).max(1).default(0.05),
    /** Seeds the routing RNG (weights, jitter, exploration) for reproducible runs. */
    seed: z.number().int().optional(),
  })
  .strict();

export type AliasConfig = z.infer<typeof AliasSchema>;
export type AliasTarget = z.infer<typeof AliasTargetSchema>;
export type AliasRule = z.infer<typeof RuleSchema>;
export type RetryConfig = z.infer<typeof RetrySchema>;
export type HedgeConfig = z.infer<typeof HedgeSchema>;
export type FallbackOnConfig = z.infer<typeof FallbackOnSchema>;
export type BreakerConfig = z.infer<typeof BreakerSchema>;
export type RetryBudgetConfig = z.infer<typeof RetryBudgetSchema>;
export type RoutingConfig = z.infer<typeof RoutingSchema>;
export type TargetTimeouts = z.infer<typeof TargetTimeoutsSchema>;
