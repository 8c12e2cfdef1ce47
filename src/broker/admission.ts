// Runs the policy engine for one call: admission (a denial is a value), output rewriting, settling, overrun flags.
import type { Deps } from '../deps.js';
import { GatewayError } from '../errors.js';
import type { ChatRequest } from '../openai/schemas.js';
import type { Admission, CallOutcome, PolicyContext, PolicyEngine, StepHooks } from '../policy/engine.js';
import { reservedOutputCap } from '../policy/estimate.js';
import { budgetHold } from '../policy/steps/budget.js';
import type { Denial, Door, Principal } from '../policy/types.js';
import type { RoutePlan } from '../routing/router.js';

export type Admitted = Extract<Admission, { ok: true }> & { pctx: PolicyContext };

export function denialError(d: Denial): GatewayError {
  return new GatewayError(d.code, d.message, { headers: d.headers });
}

export interface AdmitInput {
  door: Door;
  principal: Principal;
  sessionId: string;
  requestId: string;
  input: unknown;
  /** A model call's input as a chat request (token counting). */
  chat?: ChatRequest | undefined;
  plan?: RoutePlan;
  mcp?: PolicyContext['mcp'];
}

/** Builds the policy context and admits the call; a denial comes back as a value for the edge to render. */
/** `policy` is the runtime snapshot's engine the caller took for this call (a reload mid-call does not switch it). */
export async function admit(deps: Deps, a: AdmitInput, policy: PolicyEngine = deps.runtime.policy): Promise<{ pctx: PolicyContext; admission: Admission }> {
  const pctx: PolicyContext = {
    door: a.door,
    principal: a.principal,
    sessionId: a.sessionId,
    requestId: a.requestId,
    input: a.input,
    ...(a.chat ? { chat: a.chat } : {}),
    decisions: [],
    responseHeaders: {},
    ...(a.plan
      ? { model: { requested: a.plan.requested, targets: a.plan.candidates.map((t) => t.key), maxParallel: a.plan.hedge ? a.plan.hedge.maxParallel : 1 } }
      : {}),
    ...(a.mcp ? { mcp: a.mcp } : {}),
  };
  const admission = await policy.admit(pctx);
  if (!admission.ok) deps.metrics.denial({ door: a.door, code: admission.denial.code, rule: admission.denial.rule });
  return { pctx, admission };
}

/** Rewrites a non-streamed output through every step's output hook, in step order. */
export function applyOutput<T>(hooks: StepHooks[], value: T): T {
  let v: unknown = value;
  for (const h of hooks) if (h.output) v = h.output(v);
  return v as T;
}

/** Settles the policy hooks off the response path (the engine logs failures); await the promise to know the spend is booked. */
export function settle(a: { after(o: CallOutcome): Promise<void> }, outcome: CallOutcome): Promise<void> {
  return a.after(outcome);
}

const usd = (micros: number): string => `$${(micros / 1_000_000).toFixed(6)}`;

/**
 * Flags a call the provider billed beyond its budget reservation (it ignored the output cap, or the input was
 * underestimated): a `budget:overrun` decision for the audit trail and a metric per budget scope kind. The real
 * cost is still booked at settle, so the budget refuses the next call once spent.
 */
export function flagOverrun(deps: Deps, pctx: PolicyContext, usage: { outputTokens: number }, costMicros: number | null): boolean {
  const hold = budgetHold(pctx);
  if (!hold || costMicros === null || costMicros <= hold.amountMicros) return false;
  const cap = reservedOutputCap(pctx);
  const n = pctx.chat?.n ?? 1;
  const output = cap === undefined ? `${usage.outputTokens} output tokens` : `${usage.outputTokens} output tokens against a cap of ${cap * n}`;
  pctx.decisions.push({
    step: 'budget',
    decision: 'flagged',
    rule: 'budget:overrun',
    reason: `the provider billed ${usd(costMicros)}, over the ${usd(hold.amountMicros)} reserved (${output}); the real cost is booked`,
  });
  for (const kind of new Set(hold.scopes.map((s) => s.split(':')[0] ?? 'other'))) deps.metrics.budgetOverrun(kind);
  return true;
}
