// Runs the policy engine for one call and applies its hooks: denials become GatewayErrors, outputs and streams get rewritten.
import type { Deps } from '../deps.js';
import { GatewayError } from '../errors.js';
import type { ChatCompletionChunk, ChunkChoice } from '../openai/types.js';
import type { Admission, CallOutcome, PolicyContext, StepHooks, StreamTransform } from '../policy/engine.js';
import { reservedOutputCap } from '../policy/estimate.js';
import { budgetHold } from '../policy/steps/budget.js';
import type { Denial, Door, Principal } from '../policy/types.js';
import type { RoutePlan } from '../routing/router.js';
import { withPolicyContext } from '../tracing/audit-broker.js';

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
  plan?: RoutePlan;
  mcp?: PolicyContext['mcp'];
}

/** Builds the policy context and admits the call; a denial comes back as a value for the edge to render. */
export async function admit(deps: Deps, a: AdmitInput): Promise<{ pctx: PolicyContext; admission: Admission }> {
  const pctx: PolicyContext = {
    door: a.door,
    principal: a.principal,
    sessionId: a.sessionId,
    requestId: a.requestId,
    input: a.input,
    decisions: [],
    responseHeaders: {},
    ...(a.plan
      ? { model: { requested: a.plan.requested, targets: a.plan.candidates.map((t) => t.key), maxParallel: a.plan.hedge ? a.plan.hedge.maxParallel : 1 } }
      : {}),
    ...(a.mcp ? { mcp: a.mcp } : {}),
  };
  const admission = await deps.policy.admit(pctx);
  if (!admission.ok) deps.metrics.denial({ door: a.door, code: admission.denial.code, rule: admission.denial.rule });
  return { pctx, admission };
}

/** Admits a model call or throws the denial as a GatewayError (rendered as an OpenAI error). */
export async function admitOrThrow(deps: Deps, a: AdmitInput): Promise<Admitted> {
  const { pctx, admission } = await admit(deps, a);
  if (!admission.ok) throw withPolicyContext(denialError(admission.denial), pctx);
  return { ...admission, pctx };
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
export function flagOverrun(deps: Deps, pctx: PolicyContext, usage: { completion_tokens: number }, costMicros: number | null): boolean {
  const hold = budgetHold(pctx);
  if (!hold || costMicros === null || costMicros <= hold.amountMicros) return false;
  const cap = reservedOutputCap(pctx);
  const n = (pctx.input as { n?: number | null } | null)?.n ?? 1;
  const output = cap === undefined ? `${usage.completion_tokens} output tokens` : `${usage.completion_tokens} output tokens against a cap of ${cap * n}`;
  pctx.decisions.push({
    step: 'budget',
    decision: 'flagged',
    rule: 'budget:overrun',
    reason: `the provider billed ${usd(costMicros)}, over the ${usd(hold.amountMicros)} reserved (${output}); the real cost is booked`,
  });
  for (const kind of new Set(hold.scopes.map((s) => s.split(':')[0] ?? 'other'))) deps.metrics.budgetOverrun(kind);
  return true;
}

function pushChoice(t: StreamTransform, c: ChunkChoice): void {
  const d = c.delta;
  if (typeof d.content === 'string' && d.content) d.content = t.push(`c${c.index}`, d.content);
  for (const tc of d.tool_calls ?? []) {
    if (tc.function?.arguments) tc.function.arguments = t.push(`t${c.index}.${tc.index}`, tc.function.arguments);
  }
}

/** Text a channel held back, as a delta chunk to send before the choice's finish_reason. */
function flushChoice(t: StreamTransform, base: ChatCompletionChunk, c: ChunkChoice, toolIndexes: Set<number>): ChatCompletionChunk | null {
  const content = t.flush(`c${c.index}`);
  const tools = [...toolIndexes].map((i) => ({ index: i, function: { arguments: t.flush(`t${c.index}.${i}`) } })).filter((x) => x.function.arguments);
  if (!content && !tools.length) return null;
  const delta: ChunkChoice['delta'] = {};
  if (content) delta.content = content;
  if (tools.length) delta.tool_calls = tools;
  return { ...base, choices: [{ index: c.index, delta, finish_reason: null }], usage: undefined };
}

/** Applies the steps' stream transforms (PII) to content and tool-argument deltas, flushing each choice before it finishes. */
export async function* transformStream(hooks: StepHooks[], chunks: AsyncIterable<ChatCompletionChunk>): AsyncGenerator<ChatCompletionChunk> {
  const transforms = hooks.flatMap((h) => (h.stream ? [h.stream()] : []));
  if (!transforms.length) return yield* chunks;
  const tools = new Map<number, Set<number>>();
  try {
    for await (const chunk of chunks) {
      const finishing = chunk.choices.filter((c) => c.finish_reason);
      for (const c of chunk.choices) {
        for (const tc of c.delta.tool_calls ?? []) {
          if (!tools.has(c.index)) tools.set(c.index, new Set());
          tools.get(c.index)!.add(tc.index);
        }
        for (const t of transforms) pushChoice(t, c);
      }
      if (!finishing.length) {
        yield chunk;
        continue;
      }
      // Order for a finishing choice: its released text, then what the transforms held back, then finish_reason.
      const hasText = chunk.choices.some((c) => c.delta.content || c.delta.tool_calls?.some((t) => t.function?.arguments || t.id));
      if (hasText) yield { ...chunk, choices: chunk.choices.map((c) => ({ ...c, finish_reason: null })), usage: undefined };
      for (const c of finishing) {
        for (const t of transforms) {
          const f = flushChoice(t, chunk, c, tools.get(c.index) ?? new Set());
          if (f) yield f;
        }
      }
      yield hasText ? { ...chunk, choices: finishing.map((c) => ({ ...c, delta: {} })) } : chunk;
    }
  } finally {
    for (const t of transforms) t.end();
  }
}
