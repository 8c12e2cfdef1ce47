// Step `budget`: reserve the worst-case cost before a call across key, team and session budgets; settle to the actual after.
import { StoreUnavailableError, storeUnavailableAnswer, type BudgetLimit, type BudgetStore, type ReserveResult } from '../budget-store.js';
import type { PolicyContext, PolicyStep } from '../engine.js';
import { estimateCall } from '../estimate.js';
import type { PriceBook } from '../prices.js';
import type { TokenCounter } from '../tokens.js';

const MICROS_PER_USD = 1_000_000;

/** What a call's budget reservation held, so the broker can tell when the provider billed more than that. */
export interface BudgetHold {
  amountMicros: number;
  /** The scopes held, e.g. `key:k1`, `team:t1`, `session:key:k1:s1`. */
  scopes: string[];
}

const holds = new WeakMap<PolicyContext, BudgetHold>();

/** The priced reservation the budget step made for this call, if any. */
export function budgetHold(ctx: PolicyContext): BudgetHold | undefined {
  return holds.get(ctx);
}

export interface BudgetStepDeps {
  store: BudgetStore;
  prices: PriceBook;
  tokens: TokenCounter;
  defaultMaxOutput: number;
  unpricedModels: 'allow' | 'deny';
  /** USD per tools/call of a server. */
  toolCostUsd: (server: string) => number;
  /** When the store is unreachable: `closed` refuses with a 503, `open` lets the call pass unbudgeted. Default closed. */
  onStoreFailure?: 'closed' | 'open';
}

/** Every budget binding this call: the key's and the team's, per key/team or per agent session. */
export function budgetLimits(ctx: Pick<PolicyContext, 'principal' | 'sessionId'>): BudgetLimit[] {
  const { principal: p, sessionId } = ctx;
  const out: BudgetLimit[] = [];
  const add = (owner: string, budgets: NonNullable<typeof p.key>['budgets']) => {
    for (const b of budgets) {
      const scope = b.per === 'session' ? `session:${owner}:${sessionId}` : owner;
      out.push({ scope, period: b.period, limitMicros: Math.round(b.usd * MICROS_PER_USD) });
    }
  };
  if (p.key && p.keyId) add(`key:${p.keyId}`, p.key.budgets);
  if (p.team && p.teamId) add(`team:${p.teamId}`, p.team.budgets);
  return out;
}

function split(target: string): [string, string] {
  const i = target.indexOf('/');
  return [target.slice(0, i), target.slice(i + 1)];
}

export function budgetStep(deps: BudgetStepDeps): PolicyStep {
  /** The most the call can cost on any target it may be served by; null when one of them has no price. */
  async function worstCase(ctx: PolicyContext): Promise<number | null> {
    if (ctx.door === 'tool') return Math.round(deps.toolCostUsd(ctx.mcp!.server) * MICROS_PER_USD);
    if (!ctx.model) return 0;
    const e = await estimateCall(ctx, deps.tokens, deps.defaultMaxOutput);
    let worst = 0;
    for (const t of ctx.model.targets) {
      const [provider, model] = split(t);
      const c = deps.prices.cost(provider, model, { inputTokens: e.inputTokens, outputTokens: e.maxOutputTokens });
      if (c === null) return null;
      worst = Math.max(worst, c);
    }
    // Hedged aliases may pay for more than one attempt.
    return worst * ctx.model.maxParallel;
  }

  return {
    name: 'budget',
    concurrent: true,
    async before(ctx) {
      if (ctx.door === 'resource' || ctx.door === 'prompt') return;
      const limits = budgetLimits(ctx);
      if (!limits.length) return;
      let amount = await worstCase(ctx);
      const priced = amount !== null;
      if (amount === null) {
        if (deps.unpricedModels === 'deny') {
          return { code: 'forbidden', rule: 'budget:cost_unknown', message: `The model "${ctx.model!.requested}" has no known price, and budgets apply to this key.` };
        }
        ctx.decisions.push({ step: 'budget', decision: 'flagged', rule: 'budget:cost_unknown', reason: 'no price known for the model; counted as $0' });
        amount = 0;
      }
      let r: ReserveResult;
      try {
        r = await deps.store.reserve(limits, amount);
      } catch (err) {
        if (!(err instanceof StoreUnavailableError)) throw err;
        if (deps.onStoreFailure !== 'open') throw storeUnavailableAnswer('Budgets', err);
        ctx.decisions.push({ step: 'budget', decision: 'flagged', rule: 'budget:store_unavailable', reason: 'budget store unreachable; call allowed unbudgeted (policy.redisFailure.budgets: open)' });
        return;
      }
      if (!r.ok) {
        const usd = (m: number) => `$${(m / MICROS_PER_USD).toFixed(4)}`;
        return {
          code: 'insufficient_quota',
          rule: `budget:${r.scope.split(':')[0]}:${r.period}`,
          message: `Budget exhausted for ${r.scope.split(':').slice(0, 2).join(' "')}" (${r.period}): spent ${usd(r.spentMicros)} + held ${usd(r.reservedMicros)} of ${usd(r.limitMicros)}; this call may cost up to ${usd(amount)}.`,
          headers: r.retryAfterSec !== undefined ? { 'retry-after': String(r.retryAfterSec) } : {},
        };
      }
      ctx.decisions.push({ step: 'budget', decision: 'allowed' });
      if (priced) holds.set(ctx, { amountMicros: amount, scopes: limits.map((l) => l.scope) });
      const reservation = r.reservation;
      const fixed = ctx.door === 'tool' ? amount : null;
      return {
        after: async (o) => {
          // A tool call is charged its fixed price when it ran; a model call what its usage cost (aborted streams included).
          const actual = fixed !== null ? (o.ok ? fixed : 0) : (o.costMicros ?? 0);
          if (!o.ok && actual === 0) await deps.store.release(reservation);
          else await deps.store.settle(reservation, actual);
        },
      };
    },
  };
}
