// The budgets of every key and team (gateway.yaml and database) with what each has spent and has left in its current window.
import { periodWindow, StoreUnavailableError, storeUnavailableAnswer, type BudgetStore } from '../policy/budget-store.js';
import { toAccessPolicy } from '../policy/policy-schema.js';
import type { AccessPolicy, BudgetPeriod } from '../policy/types.js';
import type { Runtime } from '../runtime.js';
import type { KeysService } from './keys-service.js';

const MICROS_PER_USD = 1_000_000;
/** Usage reads in flight at once (each is a Redis round trip, or a ledger read the first time a counter is met). */
const CONCURRENCY = 16;
const PERIOD_ORDER: Record<BudgetPeriod, number> = { daily: 0, monthly: 1, total: 2 };

export interface BudgetView {
  scope: 'key' | 'team';
  id: string;
  name: string | null;
  /** `session`: the limit applies to each agent session of the key or team on its own, so there is no one figure spent. */
  per: 'key' | 'session';
  period: BudgetPeriod;
  limitUsd: number;
  /** Settled spend in the current window (budget store, rebuilt from the spend ledger); null for per-session budgets. */
  spentUsd: number | null;
  /** Held by calls in flight (reserved, not yet settled). */
  reservedUsd: number | null;
  /** What calls may still reserve: limit − spent − reserved, never below 0. */
  remainingUsd: number | null;
  /** When the current window ends (UTC); null for `total`. */
  resetsAt: string | null;
}

export interface BudgetsDeps {
  runtime: Pick<Runtime, 'config' | 'teams'>;
  admin: Pick<KeysService, 'listKeys'>;
  budgets: Pick<BudgetStore, 'usage'>;
}

type Owner = { scope: 'key' | 'team'; id: string; name: string | null; policy: AccessPolicy };

/** Every key and team that has budgets: config keys not expired, database keys that are active, config and database teams. */
async function owners(deps: BudgetsDeps, now: number): Promise<Owner[]> {
  const { config, teams } = deps.runtime;
  const out: Owner[] = [];
  for (const k of config.keys) {
    if (k.expiresAt && k.expiresAt.getTime() <= now) continue;
    const { id, key: _key, hash: _hash, team: _team, expiresAt: _exp, metadata: _meta, ...policy } = k;
    out.push({ scope: 'key', id, name: null, policy: toAccessPolicy(policy) });
  }
  for (const k of await deps.admin.listKeys()) if (k.status === 'active') out.push({ scope: 'key', id: k.id, name: k.name, policy: toAccessPolicy(k.policy) });
  for (const t of await teams.list()) out.push({ scope: 'team', id: t.id, name: t.name, policy: t.policy });
  return out.filter((o) => o.policy.budgets.length > 0);
}

function entries(list: Owner[], now: number): BudgetView[] {
  const out: BudgetView[] = [];
  for (const o of list) {
    for (const b of o.policy.budgets) {
      const endsAt = periodWindow(b.period, now).endsAt;
      out.push({
        scope: o.scope,
        id: o.id,
        name: o.name,
        per: b.per,
        period: b.period,
        limitUsd: b.usd,
        spentUsd: null,
        reservedUsd: null,
        remainingUsd: null,
        resetsAt: endsAt === null ? null : new Date(endsAt).toISOString(),
      });
    }
  }
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return out.sort((a, b) => cmp(a.scope, b.scope) || cmp(a.id, b.id) || cmp(a.per, b.per) || PERIOD_ORDER[a.period] - PERIOD_ORDER[b.period]);
}

async function fill(v: BudgetView, store: BudgetsDeps['budgets']): Promise<void> {
  if (v.per === 'session') return;
  // Same scope names and rounding as the budget step (src/policy/steps/budget.ts), so these are the counters it checks.
  const u = await store.usage(`${v.scope}:${v.id}`, v.period);
  const limit = Math.round(v.limitUsd * MICROS_PER_USD);
  v.spentUsd = u.spentMicros / MICROS_PER_USD;
  v.reservedUsd = u.reservedMicros / MICROS_PER_USD;
  v.remainingUsd = Math.max(0, limit - u.spentMicros - u.reservedMicros) / MICROS_PER_USD;
}

export async function listBudgets(deps: BudgetsDeps, page: { limit: number; offset: number; scope?: 'key' | 'team' }, now = Date.now()): Promise<{ data: BudgetView[]; nextOffset: number | null }> {
  const all = entries(await owners(deps, now), now).filter((v) => !page.scope || v.scope === page.scope);
  const data = all.slice(page.offset, page.offset + page.limit);
  try {
    for (let i = 0; i < data.length; i += CONCURRENCY) await Promise.all(data.slice(i, i + CONCURRENCY).map((v) => fill(v, deps.budgets)));
  } catch (err) {
    if (err instanceof StoreUnavailableError) throw storeUnavailableAnswer('Budget use', err);
    throw err;
  }
  return { data, nextOffset: page.offset + data.length < all.length ? page.offset + data.length : null };
}
