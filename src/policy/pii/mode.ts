// The four PII modes as one call for the policy step: off, redact, block (deny on any finding), audit (count only).
import type { PiiMode } from '../types.js';
import { countTotal, createRedactionContext, type RedactionContext } from './context.js';
import { detectJson, redactJson } from './redact.js';
import type { FindingCounts } from './types.js';

export interface PiiModeResult<T> {
  /** The input as the call should continue with it: rewritten only in `redact` mode. */
  output: T;
  findings: FindingCounts;
  /** True only in `block` mode when something was found; the caller turns it into a denial. */
  blocked: boolean;
}

/** Works on a string or any JSON-like value (messages array, tool arguments, tool result). */
export function applyPiiMode<T>(
  mode: PiiMode,
  input: T,
  ctx: RedactionContext = createRedactionContext(),
): PiiModeResult<T> {
  switch (mode) {
    case 'off':
      return { output: input, findings: {}, blocked: false };
    case 'redact': {
      const r = redactJson(input, ctx);
      return { output: r.value, findings: r.findings, blocked: false };
    }
    case 'block': {
      const findings = detectJson(input, ctx);
      return { output: input, findings, blocked: countTotal(findings) > 0 };
    }
    case 'audit':
      return { output: input, findings: detectJson(input, ctx), blocked: false };
  }
}
