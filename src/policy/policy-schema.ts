// zod schema of an access policy (models, tools, budgets, rate limits, PII mode), shared by config and the admin API.
import { z } from 'zod';
import type { AccessPolicy } from './types.js';

const pattern = z.string().min(1).max(200);

export const AccessPolicySchema = z
  .object({
    models: z.array(pattern).default(['*']),
    tools: z.array(pattern).default(['*']),
    mcpServers: z.array(pattern).default(['*']),
    budgets: z
      .array(
        z
          .object({
            period: z.enum(['daily', 'monthly', 'total']),
            usd: z.number().positive(),
            /** `session`: the limit applies to each agent session (x-session-id) separately. */
            per: z.enum(['key', 'session']).default('key'),
          })
          .strict(),
      )
      .default([]),
    rateLimits: z
      .object({
        requestsPerMinute: z.number().int().positive().optional(),
        tokensPerMinute: z.number().int().positive().optional(),
        toolCallsPerMinute: z.number().int().positive().optional(),
      })
      .strict()
      .default({}),
    pii: z.enum(['off', 'redact', 'block', 'audit']).nullable().default(null),
  })
  .strict();

/** The policy fields as they appear inline on a key or team in config or an admin request. */
export const policyFields = AccessPolicySchema.shape;

export function toAccessPolicy(v: unknown): AccessPolicy {
  return AccessPolicySchema.parse(v ?? {}) as AccessPolicy;
}
