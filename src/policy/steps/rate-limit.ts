// Step `rate-limit`: requests and tokens per minute for model calls, calls per minute per tool, per key and team.
import type { PolicyContext, PolicyStep } from '../engine.js';
import { estimateCall } from '../estimate.js';
import { StoreUnavailableError, storeUnavailableAnswer } from '../budget-store.js';
import { rateLimitHeaders, type RateCheck, type RateLimitStore, type RateResult } from '../rate-limit-store.js';
import type { TokenCounter } from '../tokens.js';
import type { AccessPolicy } from '../types.js';

function scopes(ctx: PolicyContext): Array<[string, AccessPolicy]> {
  const out: Array<[string, AccessPolicy]> = [];
  if (ctx.principal.key && ctx.principal.keyId) out.push([`key:${ctx.principal.keyId}`, ctx.principal.key]);
  if (ctx.principal.team && ctx.principal.teamId) out.push([`team:${ctx.principal.teamId}`, ctx.principal.team]);
  return out;
}

export interface RateLimitStepDeps {
  store: RateLimitStore;
  tokens: TokenCounter;
  defaultMaxOutput: number;
  /** When the store throws StoreUnavailableError (no local fallback): `closed` refuses with a 503, `open` lets the call pass. */
  onStoreFailure?: 'closed' | 'open';
}

export function rateLimitStep(deps: RateLimitStepDeps): PolicyStep {
  return {
    name: 'rate-limit',
    concurrent: true,
    async before(ctx) {
      const owners = scopes(ctx);
      const isModel = ctx.door === 'chat' || ctx.door === 'embeddings';
      const isTool = ctx.door === 'tool' && ctx.mcp?.tool !== undefined;
      if (!owners.some(([, p]) => (isModel ? p.rateLimits.requestsPerMinute || p.rateLimits.tokensPerMinute : isTool && p.rateLimits.toolCallsPerMinute))) return;
      // Hedged aliases may send more than one upstream request for this call: count them all.
      const attempts = ctx.model?.maxParallel ?? 1;
      let tokenEstimate = 0;
      const checks: RateCheck[] = [];
      for (const [scope, p] of owners) {
        const r = p.rateLimits;
        if (isModel && r.requestsPerMinute) checks.push({ scope, dimension: 'requests', limitPerMinute: r.requestsPerMinute, points: attempts });
        if (isModel && r.tokensPerMinute) {
          // Like OpenAI, count the prompt plus the output the caller allows for.
          if (!tokenEstimate) {
            const e = await estimateCall(ctx, deps.tokens, deps.defaultMaxOutput);
            tokenEstimate = Math.max(1, e.inputTokens + (ctx.door === 'chat' ? e.maxOutputTokens : 0));
          }
          checks.push({ scope, dimension: 'tokens', limitPerMinute: r.tokensPerMinute, points: tokenEstimate * attempts });
        }
        if (isTool && r.toolCallsPerMinute) checks.push({ scope, dimension: 'tool_calls', subject: ctx.mcp!.tool, limitPerMinute: r.toolCallsPerMinute, points: 1 });
      }
      let result: RateResult;
      try {
        result = await deps.store.consume(checks);
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        if (deps.onStoreFailure !== 'open') throw storeUnavailableAnswer('Rate limits', err);
        ctx.decisions.push({ step: 'rate-limit', decision: 'flagged', rule: 'rate-limit:store_unavailable', reason: 'rate-limit store unreachable; call allowed unlimited (policy.redisFailure.rateLimits: open)' });
        return;
      }
      Object.assign(ctx.responseHeaders, rateLimitHeaders(result));
      if (!result.ok) {
        const d = result.denied;
        const what = d.dimension === 'tool_calls' ? `calls per minute to ${d.subject}` : `${d.dimension} per minute`;
        return {
          code: 'rate_limit_exceeded',
          rule: `rate-limit:${d.scope.split(':')[0]}:${d.dimension}`,
          message: `Rate limit reached for ${d.scope.replace(':', ' "')}" on ${what}: limit ${d.limit}. Retry in ${result.retryAfterSec}s.`,
          headers: rateLimitHeaders(result),
        };
      }
      ctx.decisions.push({ step: 'rate-limit', decision: 'allowed' });
      if (!tokenEstimate) return;
      const ticket = result.ticket;
      return {
        // Replace the estimate by what was really used, so the window counts real tokens.
        after: (o) => (o.inputTokens !== undefined ? deps.store.adjust(ticket, 'tokens', o.inputTokens + (o.outputTokens ?? 0)) : undefined),
      };
    },
  };
}
