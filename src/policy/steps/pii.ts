// Step `pii`: the key's PII mode over what goes upstream (messages, tool arguments) and what comes back (completions, tool results).
import type { PolicyContext, PolicyStep, StepHooks } from '../engine.js';
import { countTotal, createRedactionContext, type RedactionContext } from '../pii/context.js';
import { MESSAGES_REQUEST, MESSAGES_RESPONSE, RESPONSES_REQUEST, RESPONSES_RESPONSE } from '../pii/fields-agents.js';
import { CONTENT, type Rule } from '../pii/walk.js';
import { CHAT_REQUEST, EMBEDDINGS_REQUEST, MCP_INPUT } from '../pii/fields.js';
import { applyPiiMode, applyPiiModeAsync } from '../pii/mode.js';
import { createStreamRedactor, type StreamRedactor } from '../pii/stream.js';
import type { FindingCounts } from '../pii/types.js';
import type { PiiMode } from '../types.js';

const STRICTNESS: Record<PiiMode, number> = { off: 0, audit: 1, redact: 2, block: 3 };

/** The stricter of the key's and the team's mode, else the gateway default. */
export function piiModeOf(ctx: Pick<PolicyContext, 'principal'>, fallback: PiiMode): PiiMode {
  const modes = [ctx.principal.key?.pii, ctx.principal.team?.pii].filter((m): m is PiiMode => !!m);
  if (!modes.length) return fallback;
  return modes.reduce((a, b) => (STRICTNESS[b] > STRICTNESS[a] ? b : a));
}

/**
 * What of each door's input the PII rules look at and rewrite (see pii/fields.ts): chat and embeddings requests
 * field by field, tool and prompt inputs (their `arguments`) whole; a resource read has no client content.
 */
const INPUT: Record<PolicyContext['door'], Rule | null> = {
  chat: CHAT_REQUEST,
  embeddings: EMBEDDINGS_REQUEST,
  responses: RESPONSES_REQUEST,
  messages: MESSAGES_REQUEST,
  tool: MCP_INPUT,
  prompt: MCP_INPUT,
  resource: null,
};

/** What of each door's output is rewritten: the agent doors' answers carry signed and structural parts that must not change. */
const OUTPUT: Partial<Record<PolicyContext['door'], Rule>> = { messages: MESSAGES_RESPONSE, responses: RESPONSES_RESPONSE };

function record(ctx: PolicyContext, where: 'input' | 'output', mode: PiiMode, findings: FindingCounts): void {
  if (countTotal(findings) === 0) return;
  const decision = mode === 'audit' ? 'flagged' : mode === 'block' && where === 'input' ? 'denied' : 'redacted';
  ctx.decisions.push({ step: 'pii', decision, rule: `pii:${mode}:${where}`, findings });
}

/** Redacts text deltas per channel (a choice's content, one tool call's arguments) without splitting an entity. */
function streamHooks(rctx: RedactionContext, audit: boolean) {
  const channels = new Map<string, StreamRedactor>();
  const of = (ch: string) => {
    let r = channels.get(ch);
    if (!r) channels.set(ch, (r = createStreamRedactor(rctx)));
    return r;
  };
  return {
    // In audit mode text passes unchanged; the redactor still runs so findings are counted.
    push: (ch: string, delta: string) => {
      const out = of(ch).push(delta);
      return audit ? delta : out;
    },
    flush: (ch: string) => {
      const out = channels.get(ch)?.flush() ?? '';
      return audit ? '' : out;
    },
    findings: () => {
      const total: FindingCounts = {};
      for (const r of channels.values()) for (const [t, n] of Object.entries(r.findings())) total[t as keyof FindingCounts] = (total[t as keyof FindingCounts] ?? 0) + (n ?? 0);
      return total;
    },
  };
}


export function piiStep(defaultMode: PiiMode): PolicyStep {
  return {
    name: 'pii',
    async before(ctx) {
      const mode = piiModeOf(ctx, defaultMode);
      if (mode === 'off') return;
      const rctx = createRedactionContext();
      const rule = INPUT[ctx.door];
      if (rule) {
        // A request body may be 20 MB: it is scanned in slices with event-loop turns between them (pii/mode.ts).
        const r = await applyPiiModeAsync(mode, ctx.input, rctx, rule);
        record(ctx, 'input', mode, r.findings);
        if (r.blocked) {
          const types = Object.keys(r.findings).join(', ');
          return { code: 'content_blocked', rule: 'pii:block', message: `The request contains sensitive data (${types}); this key does not allow sending it.` };
        }
        if (mode === 'redact') ctx.input = r.output;
      }
      // Outputs are redacted in block mode too: a result cannot be un-produced, only kept from the caller.
      const outMode: PiiMode = mode === 'audit' ? 'audit' : 'redact';
      const hooks: StepHooks = {
        output: (out) => {
          const r = applyPiiMode(outMode, out, rctx, OUTPUT[ctx.door] ?? CONTENT);
          record(ctx, 'output', outMode, r.findings);
          return r.output;
        },
        stream: () => {
          const s = streamHooks(rctx, outMode === 'audit');
          return {
            push: (ch, delta) => s.push(ch, delta),
            flush: (ch) => s.flush(ch),
            end: () => record(ctx, 'output', outMode, s.findings()),
          };
        },
      };
      return hooks;
    },
  };
}
