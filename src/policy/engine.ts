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

export function createPolicyEngine(steps: PolicyStep[], log: Logger): PolicyEngine {
  return {
    async admit(ctx) {
      const hooks: StepHooks[] = [];
      const settleAll = async (outcome: CallOutcome) => {
        for (const h of [...hooks].reverse()) {
          try {
            await h.after?.(outcome);
          } catch (err) {
            // A failed settlement must not fail a call that already happened; the log says what was lost.
            log.error({ err, requestId: ctx.requestId }, 'policy: after-hook failed');
          }
        }
      };
      for (const step of steps) {
        let result: Denial | StepHooks | void;
        const span = tracingOn() ? startStepSpan(step.name) : null;
        try {
          result = await step.before(ctx);
        } catch (err) {
          span?.fail(err);
          await settleAll({ ok: false });
          throw err;
        }
        span?.end(isDenial(result) ? result : null);
        if (isDenial(result)) {
          ctx.decisions.push({ step: step.name, decision: 'denied', rule: result.rule, reason: result.message });
          await settleAll({ ok: false }); // release what earlier steps reserved
          return { ok: false, denial: result };
        }
        if (result) hooks.push(result);
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
