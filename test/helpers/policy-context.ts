// A policy context for step tests: key `k` with the given access policy, a small chat request to `p/m`.
import type { PolicyContext } from '../../src/policy/engine.js';
import { toAccessPolicy } from '../../src/policy/policy-schema.js';

export function chatContext(policy: Record<string, unknown>, part: Partial<PolicyContext> = {}): PolicyContext {
  const ctx: PolicyContext = {
    door: 'chat',
    principal: { keyId: 'k', teamId: null, key: toAccessPolicy(policy), team: null, metadata: {} },
    sessionId: 's1',
    requestId: 'r',
    input: { model: 'p/m', max_tokens: 10, messages: [{ role: 'user', content: 'hello there' }] },
    model: { requested: 'p/m', targets: ['p/m'], maxParallel: 1 },
    decisions: [],
    responseHeaders: {},
    ...part,
  };
  // The broker gives every model call its chat view (what token counting reads); for the chat door it is the input itself.
  if (ctx.door === 'chat' && !part.chat) ctx.chat = ctx.input as PolicyContext['chat'];
  return ctx;
}
