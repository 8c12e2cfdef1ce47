// The request-log row, the audit events and the metric events are projections of one CallRecord: they cannot disagree.
import { describe, expect, it } from 'vitest';
import { eventsOf } from '../../src/tracing/audit.js';
import { llmCallEvent, requestLogRow, toolCallEvent } from '../../src/tracing/call-projections.js';
import type { CallRecord } from '../../src/tracing/call-record.js';
import { recordCall } from '../../src/tracing/record-call.js';

const model: CallRecord = {
  kind: 'model_call',
  door: 'messages',
  endpoint: 'messages',
  operation: 'chat',
  principal: { keyId: 'k1', teamId: 'ml' },
  sessionId: 's1',
  requestId: 'r1',
  time: new Date('2026-12-01T00:00:00Z'),
  model: { requested: 'claude', served: 'claude-x', provider: 'anth' },
  stream: true,
  decisions: [{ step: 'pii', decision: 'redacted', rule: 'pii:redact:input', findings: { email: 2 } }],
  status: 200,
  errorCode: null,
  latencyMs: 41.6,
  usage: { inputTokens: 120, outputTokens: 30 },
  costMicros: 900,
  attempts: 2,
  routeReason: 'fallback after 503',
  upstreamMs: 30,
  request: { messages: [] },
  response: { content: [] },
};

const tool: CallRecord = {
  kind: 'tool_call',
  door: 'tool',
  endpoint: 'mcp.tools/call',
  principal: { keyId: 'k1', teamId: null },
  sessionId: 's1',
  requestId: 'r2',
  mcp: { method: 'tools/call', server: 'fs', tool: 'fs__read', target: 'read' },
  decisions: [],
  status: 200,
  errorCode: 'tool_error',
  latencyMs: 5,
  upstreamMs: 4,
};

describe('CallRecord projections', () => {
  it('a model call: the log row, the audit call row and the metric agree on every shared fact', () => {
    const row = requestLogRow(model);
    const events = eventsOf(model, 'full', null);
    const call = events.at(-1)!.event;
    const metric = llmCallEvent(model);
    expect(row).toMatchObject({ requestId: 'r1', sessionId: 's1', keyId: 'k1', endpoint: 'messages', modelRequested: 'claude', modelServed: 'claude-x', provider: 'anth', stream: true, status: 200, inputTokens: 120, outputTokens: 30, costMicros: 900, latencyMs: 42, attempts: 2, routeReason: 'fallback after 503' });
    expect(call).toMatchObject({ kind: 'model_call', requestId: row.requestId, sessionId: row.sessionId, keyId: 'k1', requestModel: row.modelRequested, responseModel: row.modelServed, provider: row.provider, inputTokens: row.inputTokens, outputTokens: row.outputTokens, costMicros: row.costMicros, status: row.status, latencyMs: row.latencyMs, decision: 'redacted' });
    expect(metric).toMatchObject({ endpoint: row.endpoint, provider: row.provider, model: row.modelServed, keyId: 'k1', team: 'ml', status: 200, inputTokens: 120, outputTokens: 30, costMicros: 900, upstreamMs: 30 });
    // The redaction is its own decision row before the call row.
    expect(events.map((e) => e.event.kind)).toEqual(['policy_decision', 'model_call']);
  });

  it('an MCP call: the exposed name is what was requested, the upstream name what served it, and an isError result is a tool_error', () => {
    const row = requestLogRow(tool);
    expect(row).toMatchObject({ endpoint: 'mcp.tools/call', modelRequested: 'fs__read', modelServed: 'read', provider: 'fs', status: 200, errorCode: 'tool_error' });
    expect(row.attempts).toBeUndefined();
    expect(toolCallEvent(tool)).toMatchObject({ server: 'fs', method: 'tools/call', tool: 'read', outcome: 'tool_error', decision: 'allowed', upstreamMs: 4 });
    expect(toolCallEvent({ ...tool, status: 403, errorCode: 'forbidden', decisions: [{ step: 'authorize', decision: 'denied' }] })).toMatchObject({ outcome: 'denied', decision: 'denied' });
    expect(toolCallEvent({ ...tool, status: 502, errorCode: 'upstream_timeout' })).toMatchObject({ outcome: 'failed' });
  });

  it('recordCall writes each projection once, to the right metric', () => {
    const seen: string[] = [];
    const trails = {
      requestLog: { write: (rows: unknown[]) => (seen.push(`log:${rows.length}`), true) },
      audit: { recordCall: (r: CallRecord) => void seen.push(`audit:${r.requestId}`) },
      metrics: { llmCall: () => void seen.push('llm'), toolCall: () => void seen.push('tool') },
    };
    recordCall(trails, model);
    recordCall(trails, tool);
    expect(seen).toEqual(['log:1', 'audit:r1', 'llm', 'log:1', 'audit:r2', 'tool']);
  });
});
