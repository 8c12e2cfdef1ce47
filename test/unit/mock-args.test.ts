// The mock provider's tool arguments satisfy the tool's JSON Schema: required properties, typed placeholders, enums, nesting, refs.
import { describe, expect, it } from 'vitest';
import { mockArguments } from '../../src/providers/mock-args.js';
import { mockReply } from '../../src/providers/mock-reply.js';

describe('mockArguments', () => {
  it('fills every required property with a value of its type, and only those', () => {
    const args = mockArguments(
      {
        type: 'object',
        properties: {
          query: { type: 'string' },
          limit: { type: 'integer', minimum: 5, maximum: 50 },
          ratio: { type: 'number', exclusiveMinimum: 0, maximum: 0.5 },
          exact: { type: 'boolean' },
          mode: { type: 'string', enum: ['fast', 'slow'] },
          kind: { const: 'k' },
          when: { type: 'string', format: 'date-time' },
          note: { type: ['string', 'null'], maxLength: 4 },
          optional: { type: 'string' },
        },
        required: ['query', 'limit', 'ratio', 'exact', 'mode', 'kind', 'when', 'note'],
        additionalProperties: false,
      },
      'find cats',
    );
    expect(args).toEqual({ query: 'find cats', limit: 5, ratio: 0.5, exact: false, mode: 'fast', kind: 'k', when: '2025-01-01T00:00:00Z', note: 'find' });
  });

  it('builds nested objects and arrays, follows $defs refs, and picks the first non-null anyOf branch', () => {
    const args = mockArguments(
      {
        type: 'object',
        $defs: { Point: { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' } }, required: ['x', 'y'] } },
        properties: {
          points: { type: 'array', items: { $ref: '#/$defs/Point' }, minItems: 2 },
          tags: { type: 'array', items: { type: 'string', minLength: 3 } },
          target: { anyOf: [{ type: 'null' }, { type: 'integer' }] },
          opts: { type: 'object', properties: { deep: { type: 'object', properties: { on: { type: 'boolean', default: true } }, required: ['on'] } }, required: ['deep'] },
        },
        required: ['points', 'tags', 'target', 'opts'],
      },
      '',
    );
    expect(args).toEqual({ points: [{ x: 1, y: 1 }, { x: 1, y: 1 }], tags: ['example'], target: 1, opts: { deep: { on: true } } });
  });

  it('stops at a recursive schema instead of looping', () => {
    const tree = { type: 'object', properties: { child: { $ref: '#' } }, required: ['child'] };
    const args = mockArguments(tree, 'x');
    expect(JSON.stringify(args).length).toBeLessThan(200);
  });

  it('puts the user text in the first string property when nothing is required, else in `input` where extras are allowed', () => {
    expect(mockArguments({ type: 'object', properties: { n: { type: 'integer' }, city: { type: 'string' } } }, 'hi')).toEqual({ city: 'hi' });
    expect(mockArguments({ type: 'object', properties: { n: { type: 'integer' } } }, 'hi')).toEqual({ input: 'hi' });
    expect(mockArguments(undefined, 'hi')).toEqual({ input: 'hi' });
    expect(mockArguments({ type: 'object', properties: {}, additionalProperties: false }, 'hi')).toEqual({});
  });
});

describe('mockReply with tools', () => {
  const tools = [{ type: 'function' as const, function: { name: 'echo', parameters: { type: 'object', properties: { text: { type: 'string' } }, required: ['text'], additionalProperties: false } } }];

  it('calls the tool with schema-valid arguments, then reports its result even with user text after it', () => {
    const first = mockReply({ model: 'm', messages: [{ role: 'user', content: 'say hi' }], tools });
    expect(first.finishReason).toBe('tool_calls');
    expect(JSON.parse(first.toolCalls[0]!.function.arguments)).toEqual({ text: 'say hi' });
    const second = mockReply({
      model: 'm',
      tools,
      messages: [
        { role: 'user', content: 'say hi' },
        { role: 'assistant', content: null, tool_calls: first.toolCalls.map((t) => ({ ...t, function: { ...t.function } })) },
        { role: 'tool', tool_call_id: 'call_mock_1', content: 'hi' },
        { role: 'user', content: 'continue' },
      ],
    });
    expect(second.finishReason).toBe('stop');
    expect(second.content).toBe('tool said: hi');
  });
});
