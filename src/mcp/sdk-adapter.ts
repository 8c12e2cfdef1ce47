// The one place that reaches into MCP SDK internals; test/unit/sdk-adapter.test.ts fails when an SDK upgrade moves what it relies on.
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { Protocol, type RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Notification, Request, Result } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';

type AnyProtocol = Protocol<Request, Notification, Result>;
export type RawExtra = RequestHandlerExtra<Request, Notification>;

/** A request as the gateway relays it: method and params only, nothing re-modelled. */
export interface RawRequest {
  method: string;
  params?: Record<string, unknown>;
}

/**
 * Registers a handler with the base Protocol's setRequestHandler, past the Server's tools/call wrapper and the
 * Client's sampling/elicitation wrappers: they re-validate results against this SDK's schemas and would reject
 * or strip fields of relayed upstream data the gateway must pass on unchanged.
 */
export function rawRequestHandler(
  target: Client | Server,
  schema: z.core.$ZodObject | z.ZodType,
  handler: (req: RawRequest, extra: RawExtra) => Promise<Record<string, unknown>>,
): void {
  const set = Protocol.prototype.setRequestHandler as unknown as (this: AnyProtocol, s: unknown, h: unknown) => void;
  set.call(target as unknown as AnyProtocol, schema, handler);
}

/**
 * The JSON-RPC id the client's next request() will carry (the SDK assigns it synchronously from a private counter
 * and has no accessor); undefined if the counter is gone, so callers lose only the span's id, never the call.
 */
export function nextRequestId(client: Client): number | undefined {
  const v = (client as unknown as { _requestMessageId?: unknown })._requestMessageId;
  return typeof v === 'number' ? v : undefined;
}
