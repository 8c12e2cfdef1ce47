// The policy engine: ordered steps run before a call (may deny or rewrite) and their hooks after it (settle, rewrite output).
import type { Logger } from '../log.js';
import type { ChatRequest } from '../openai/schemas.js';
import { tracingOn } from '../tracing/otel.js';
import { startStepSpan } from '../tracing/otel-spans.js';
import type { Decision, Denial, Door, Principal } from './types.js';

/** What a call is about; the door decides which of the optional parts are set. */
export interface PolicyContext {
  door: Door;
  principal: Principal;
  sessionId: string;
  requestId: string;
  /** The model as requested, every `<provider>/<model>` it may be served by, and how many may run at once (hedging). */
  model?: { requested: string; targets: string[]; maxParallel: number };
  /** MCP: the upstream server and the federated tool name. */
  mcp?: { server: string; tool?: string; uri?: string; prompt?: string };
  /** The call's input in its door's own format (chat, responses or messages body, embeddings request, tool arguments …); steps may replace it. */
  input: unknown;
  /** A model call's input as a chat request, the one view token counting reads whatever the door (none for embeddings). */
  chat?: ChatRequest;
  /** Every step's decision, in order, for the session trace. */
  decisions: Decision[];
  /** Headers the edge adds to the response (rate-limit state). */
  responseHeaders: Record<string, string>;
}

/** How the call ended, for settling reservations and adjusting counters. */
export interface CallOutcome {
  ok: boolean;
  inputTokens?: number;
  outputTokens?: number;
  cachedTokens?: number;
  /** What the call cost in micro-dollars (null when the price is unknown). */
  costMicros?: number | null;
}

export interface StepHooks {
  /** Runs once after the call, success or failure, in reverse step order. */
  after?: (outcome: CallOutcome) => Promise<void> | void;
  /** Rewrites the call's output (non-streaming), e.g. PII redaction. */
  output?: (output: unknown) => unknown;
  /** A per-stream transformer of text deltas, created per call (streaming output). */
  stream?: () => StreamTransform;
}

export interface StreamTransform {
  /** Returns the text to emit now for a delta on a channel (one choice's content, one tool call's arguments); may hold some back. */
  push(channel: string, delta: string): string;
  /** Returns what was held back on a channel at its end. */
  flush(channel: string): string;
  /** The stream is over: record what was found. */
  end(): void;
}

export interface PolicyStep {
  readonly name: string;
  /**
   * Neighbouring steps that say so run at once (rate limit and budget): their store commands leave in one Redis
   * pipeline, so admission costs one round trip instead of one per step. Such a step must not read what another step
   * of its group writes into the context; the engine keeps their decisions in step order and the first denial in step
   * order wins (the others' hooks are released, as for any denial).
   */
  readonly concurrent?: boolean;
  /** A denial stops the call; hooks attach to it; void lets it pass untouched. */
  before(ctx: PolicyContext): Promise<Denial | StepHooks | void> | Denial | StepHooks | void;
}

export type Admission = { ok: false; denial: Denial } | { ok: true; hooks: StepHooks[]; after(outcome: CallOutcome): Promise<void> };

export interface PolicyEngine {
  admit(ctx: PolicyContext): Promise<Admission>;
}

function isDenial(v: Denial | StepHooks | void): v is Denial {
  return !!v && 'code' in v && 'rule' in v;
}

/** Consecutive concurrent steps form one group; every other step is a group of its own. */
function groupSteps(steps: PolicyStep[]): PolicyStep[][] {
  const groups: PolicyStep[][] = [];
  for (const step of steps) {
    const last = groups.at(-1);
    if (step.concurrent && last?.[0]?.concurrent) last.push(step);
    else groups.push([step]);
  }
  return groups;
}

type StepResult = { ok: true; value: Denial | StepHooks | void } | { ok: false; err: unknown };

async function runStep(step: PolicyStep, ctx: PolicyContext): Promise<StepResult> {
  const span = tracingOn() ? startStepSpan(step.name) : null;
  try {
    const value = await step.before(ctx);
    span?.end(isDenial(value) ? value : null);
    return { ok: true, value };
  } catch (err) {
    span?.fail(err);
    return { ok: false, err };
  }
}

/** Decisions a group pushed while its steps ran at once, put back in step order (stable within a step). */
function orderDecisions(ctx: PolicyContext, from: number, group: PolicyStep[]): void {
  if (group.length < 2 || ctx.decisions.length - from < 2) return;
  const rank = (d: Decision) => {
    const i = group.findIndex((s) => s.name === d.step);
    return i < 0 ? group.length : i;
  };
  const tail = ctx.decisions.splice(from).map((d, i) => ({ d, i }));
  tail.sort((a, b) => rank(a.d) - rank(b.d) || a.i - b.i);
  for (const { d } of tail) ctx.decisions.push(d);
}

export function createPolicyEngine(steps: PolicyStep[], log: Logger): PolicyEngine {
  const groups = groupSteps(steps);
  return {
    async admit(ctx) {
      const hooks: StepHooks[] = [];
      const settleAll = async (outcome: CallOutcome) => {
        // Started in reverse step order, awaited together: settling a budget and correcting a token window are
        // independent, and together they are one Redis round trip.
        await Promise.all(
          [...hooks].reverse().map(async (h) => {
            try {
              await h.after?.(outcome);
            } catch (err) {
              // A failed settlement must not fail a call that already happened; the log says what was lost.
              log.error({ err, requestId: ctx.requestId }, 'policy: after-hook failed');
            }
          }),
        );
      };
      for (const group of groups) {
        const from = ctx.decisions.length;
        const results = group.length === 1 ? [await runStep(group[0]!, ctx)] : await Promise.all(group.map((step) => runStep(step, ctx)));
        orderDecisions(ctx, from, group);
        // The first step (in step order) that failed or denied decides; hooks of the others are released below.
        const stop = results.findIndex((r) => !r.ok || isDenial(r.value));
        results.forEach((r) => {
          if (r.ok && r.value && !isDenial(r.value)) hooks.push(r.value);
        });
        if (stop < 0) continue;
        // What later steps of the group decided does not count: run one by one, they would not have run.
        const later = new Set(group.slice(stop + 1).map((st) => st.name));
        for (let i = ctx.decisions.length - 1; i >= from; i--) if (later.has(ctx.decisions[i]!.step)) ctx.decisions.splice(i, 1);
        const r = results[stop]!;
        await settleAll({ ok: false }); // release what earlier steps (and this group's others) reserved
        if (!r.ok) throw r.err;
        const denial = r.value as Denial;
        ctx.decisions.push({ step: group[stop]!.name, decision: 'denied', rule: denial.rule, reason: denial.message });
        return { ok: false, denial };
      }
      let settled = false;
      return {
        ok: true,
        hooks,
        after: async (outcome) => {
          if (settled) return;
          settled = true;
          await settleAll(outcome);
        },
      };
    },
  };
}
