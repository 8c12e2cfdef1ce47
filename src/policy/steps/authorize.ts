// Step `authorize`: the key's and the team's allow-lists over models, tools and MCP servers.
import { compilePatterns, type Matcher } from '../patterns.js';
import type { PolicyContext, PolicyStep } from '../engine.js';
import type { AccessPolicy, Denial } from '../types.js';

interface Compiled {
  models: Matcher;
  tools: Matcher;
  servers: Matcher;
}

/** Compiled matchers per policy object; policies are shared by every request of a key. */
const compiled = new WeakMap<AccessPolicy, Compiled>();

export function matchersOf(p: AccessPolicy): Compiled {
  let c = compiled.get(p);
  if (!c) {
    c = { models: compilePatterns(p.models), tools: compilePatterns(p.tools), servers: compilePatterns(p.mcpServers) };
    compiled.set(p, c);
  }
  return c;
}

/** Policies that bind a principal: its key's and its team's. */
export function policiesOf(ctx: Pick<PolicyContext, 'principal'>): AccessPolicy[] {
  const out: AccessPolicy[] = [];
  if (ctx.principal.key) out.push(ctx.principal.key);
  if (ctx.principal.team) out.push(ctx.principal.team);
  return out;
}

/** A model passes a policy if its requested name (an alias) or every target it may be served by is allowed. */
export function modelAllowed(p: AccessPolicy, requested: string, targets: readonly string[]): boolean {
  const m = matchersOf(p).models;
  return m(requested) || (targets.length > 0 && targets.every((t) => m(t)));
}

export function toolAllowed(p: AccessPolicy, federatedName: string): boolean {
  return matchersOf(p).tools(federatedName);
}

export function serverAllowed(p: AccessPolicy, server: string): boolean {
  return matchersOf(p).servers(server);
}

function deny(rule: string, message: string): Denial {
  return { code: 'forbidden', rule: `authorize:${rule}`, message };
}

export function authorizeStep(): PolicyStep {
  return {
    name: 'authorize',
    before(ctx) {
      const who = ctx.principal.keyId ? `key "${ctx.principal.keyId}"` : 'this caller';
      for (const [i, p] of policiesOf(ctx).entries()) {
        const whose = i === 0 && ctx.principal.key ? who : `team "${ctx.principal.teamId}"`;
        if (ctx.model && !modelAllowed(p, ctx.model.requested, ctx.model.targets)) {
          return deny('models', `The model "${ctx.model.requested}" is not allowed for ${whose}.`);
        }
        if (ctx.mcp?.tool !== undefined && !toolAllowed(p, ctx.mcp.tool)) {
          return deny('tools', `The tool "${ctx.mcp.tool}" is not allowed for ${whose}.`);
        }
        if (ctx.mcp && ctx.mcp.tool === undefined && !serverAllowed(p, ctx.mcp.server)) {
          return deny('mcp_servers', `The MCP server "${ctx.mcp.server}" is not allowed for ${whose}.`);
        }
      }
      ctx.decisions.push({ step: 'authorize', decision: 'allowed' });
    },
  };
}

/** Whether every policy binding the principal allows the model (for listings such as /v1/models). */
export function principalAllowsModel(principal: PolicyContext['principal'], requested: string, targets: readonly string[]): boolean {
  return policiesOf({ principal }).every((p) => modelAllowed(p, requested, targets));
}

/** Whether every policy binding the principal allows the tool, or the server for resources and prompts. */
export function principalAllowsMcp(principal: PolicyContext['principal'], server: string, tool?: string): boolean {
  return policiesOf({ principal }).every((p) => (tool !== undefined ? toolAllowed(p, tool) : serverAllowed(p, server)));
}
