// The policy engine's ordering, denial-as-value and settlement rules, and the authorize step's allow-lists.
import { describe, expect, it, vi } from 'vitest';
import { createLogger } from '../../src/log.js';
import { createPolicyEngine, type PolicyContext, type PolicyStep } from '../../src/policy/engine.js';
import { compilePatterns } from '../../src/policy/patterns.js';
import { toAccessPolicy } from '../../src/policy/policy-schema.js';
import { authorizeStep } from '../../src/policy/steps/authorize.js';
import type { Principal } from '../../src/policy/types.js';

const log = createLogger('silent');

function ctx(principal: Partial<Principal>, part: Partial<PolicyContext>): PolicyContext {
  return {
    door: 'chat',
    principal: { keyId: 'k1', teamId: null, key: null, team: null, metadata: {}, ...principal },
    sessionId: 's',
    requestId: 'r',
    input: null,
    decisions: [],
    responseHeaders: {},
    ...part,
  };
}

describe('compilePatterns', () => {
  it.each([
    [['openai/*'], 'openai/gpt-4o', true],
    [['openai/*'], 'anthropic/claude', false],
    [['fs__read_*'], 'fs__read_file', true],
    [['fs__read_*'], 'fs__write_file', false],
    [['gpt-4o?'], 'gpt-4o1', true],
    [['a.b'], 'aXb', false],
    [['*'], 'anything', true],
    [[], 'anything', false],
  ])('%j matches %s: %s', (patterns, name, expected) => {
    expect(compilePatterns(patterns)(name)).toBe(expected);
  });
});

describe('authorize step', () => {
  const engine = createPolicyEngine([authorizeStep()], log);
  const key = toAccessPolicy({ models: ['openai/*', 'fast'], tools: ['github__*'], mcpServers: ['github'] });
  const team = toAccessPolicy({ models: ['openai/gpt-4o-mini', 'fast'], tools: ['*'] });

  it.each([
    ['a model the key allows', { model: { requested: 'openai/gpt-4o', targets: ['openai/gpt-4o'], maxParallel: 1 } }, { key }, true],
    ['a model outside the key', { model: { requested: 'anthropic/c', targets: ['anthropic/c'], maxParallel: 1 } }, { key }, false],
    ['an alias allowed by name', { model: { requested: 'fast', targets: ['anthropic/c'], maxParallel: 1 } }, { key }, true],
    ['an alias whose every target is allowed', { model: { requested: 'x', targets: ['openai/a', 'openai/b'], maxParallel: 1 } }, { key }, true],
    ['an alias with one forbidden target', { model: { requested: 'x', targets: ['openai/a', 'anthropic/b'], maxParallel: 1 } }, { key }, false],
    ['a model the key allows but the team does not', { model: { requested: 'openai/gpt-4o', targets: ['openai/gpt-4o'], maxParallel: 1 } }, { key, team, teamId: 't' }, false],
    ['a tool the key allows', { door: 'tool' as const, mcp: { server: 'github', tool: 'github__search' } }, { key }, true],
    ['a tool outside the key', { door: 'tool' as const, mcp: { server: 'fs', tool: 'fs__write' } }, { key }, false],
    ['a resource on an allowed server', { door: 'resource' as const, mcp: { server: 'github', uri: 'repo://x' } }, { key }, true],
    ['a resource on another server', { door: 'resource' as const, mcp: { server: 'fs', uri: 'file:///etc/passwd' } }, { key }, false],
    ['anything for the open gateway', { model: { requested: 'z/z', targets: ['z/z'], maxParallel: 1 } }, { keyId: null }, true],
  ])('%s', async (_name, part, principal, allowed) => {
    const c = ctx(principal, part);
    const r = await engine.admit(c);
    expect(r.ok).toBe(allowed);
    if (!r.ok) {
      expect(r.denial.code).toBe('forbidden');
      expect(c.decisions.at(-1)).toMatchObject({ step: 'authorize', decision: 'denied', rule: r.denial.rule });
    }
  });
});

describe('engine', () => {
  it('runs steps in order, stops at a denial and releases what earlier steps hooked', async () => {
    const order: string[] = [];
    const released = vi.fn();
    const steps: PolicyStep[] = [
      { name: 'a', before: () => (order.push('a'), { after: released }) },
      { name: 'b', before: () => (order.push('b'), { code: 'rate_limit_exceeded', rule: 'b:rpm', message: 'slow down' }) },
      { name: 'c', before: () => void order.push('c') },
    ];
    const c = ctx({}, {});
    const r = await createPolicyEngine(steps, log).admit(c);
    expect(order).toEqual(['a', 'b']);
    expect(r).toMatchObject({ ok: false, denial: { rule: 'b:rpm' } });
    expect(released).toHaveBeenCalledWith({ ok: false });
  });

  it('settles once, in reverse order, even when a hook throws', async () => {
    const order: string[] = [];
    const steps: PolicyStep[] = [
      { name: 'a', before: () => ({ after: () => void order.push('a') }) },
      { name: 'b', before: () => ({ after: () => { order.push('b'); throw new Error('boom'); } }) },
    ];
    const r = await createPolicyEngine(steps, log).admit(ctx({}, {}));
    if (!r.ok) throw new Error('expected admission');
    await r.after({ ok: true, inputTokens: 1 });
    await r.after({ ok: true, inputTokens: 1 });
    expect(order).toEqual(['b', 'a']);
  });
  describe('concurrent steps (one store round trip for rate limit and budget)', () => {
    /** A step that records when it starts and finishes, resolving on the next macrotask so siblings can overlap. */
    function slowStep(name: string, log: string[], result: () => ReturnType<PolicyStep['before']>, concurrent = true): PolicyStep {
      return {
        name,
        concurrent,
        before: async (c) => {
          log.push(`start ${name}`);
          await new Promise((r) => setImmediate(r));
          log.push(`end ${name}`);
          c.decisions.push({ step: name, decision: 'allowed' });
          return result();
        },
      };
    }

    it('starts neighbouring concurrent steps together and keeps their decisions in step order', async () => {
      const order: string[] = [];
      const steps: PolicyStep[] = [
        { name: 'first', before: (c) => void c.decisions.push({ step: 'first', decision: 'allowed' }) },
        slowStep('a', order, () => undefined),
        // b finishes first: its decision is pushed first, and the engine puts it back after a's.
        { name: 'b', concurrent: true, before: (c) => (order.push('start b'), c.decisions.push({ step: 'b', decision: 'allowed' }), undefined) },
        slowStep('last', order, () => undefined, false),
      ];
      const c = ctx({}, {});
      const r = await createPolicyEngine(steps, log).admit(c);
      expect(r.ok).toBe(true);
      expect(order.slice(0, 2)).toEqual(['start a', 'start b']);
      expect(order.indexOf('start last')).toBeGreaterThan(order.indexOf('end a'));
      expect(c.decisions.map((d) => d.step)).toEqual(['first', 'a', 'b', 'last']);
    });

    it('lets the first denial in step order win, drops what later steps of the group decided and releases their hooks', async () => {
      const released = vi.fn();
      const order: string[] = [];
      const steps: PolicyStep[] = [
        slowStep('rate', order, () => ({ code: 'rate_limit_exceeded', rule: 'rate:rpm', message: 'slow down' })),
        { name: 'budget', concurrent: true, before: (c) => (c.decisions.push({ step: 'budget', decision: 'allowed' }), { after: released }) },
      ];
      const c = ctx({}, {});
      const r = await createPolicyEngine(steps, log).admit(c);
      expect(r).toMatchObject({ ok: false, denial: { rule: 'rate:rpm' } });
      expect(released).toHaveBeenCalledWith({ ok: false });
      expect(c.decisions.map((d) => `${d.step}:${d.decision}`)).toEqual(['rate:allowed', 'rate:denied']);
    });

    it('throws a step failure only after releasing the hooks of its siblings', async () => {
      const released = vi.fn();
      const steps: PolicyStep[] = [
        { name: 'rate', concurrent: true, before: async () => ({ after: released }) },
        { name: 'budget', concurrent: true, before: async () => { throw new Error('store down'); } },
      ];
      await expect(createPolicyEngine(steps, log).admit(ctx({}, {}))).rejects.toThrow('store down');
      expect(released).toHaveBeenCalledWith({ ok: false });
    });
  });
});
