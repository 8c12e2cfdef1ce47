// JSON-RPC plumbing shared by the hub and the inbound server: loose results, raw handlers, error relay.
import { Protocol, type RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { ErrorCode, McpError, type Notification, type Request, type Result } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { publicMessage } from '../errors.js';

export type JsonObject = Record<string, unknown>;
export interface RpcMessage {
  method: string;
  params?: JsonObject;
}

/** Accepts any result object and keeps every field: upstream data is relayed, not re-modelled. */
export const LooseResult = z.looseObject({});

type AnyProtocol = Protocol<Request, Notification, Result>;
type RawExtra = RequestHandlerExtra<Request, Notification>;

/**
 * Registers a handler without the SDK's per-method result re-validation (Server's tools/call wrapper,
 * Client's sampling/elicitation wrappers), which would strip unknown fields from relayed results.
 */
export function rawRequestHandler<S extends z.core.$ZodObject | z.ZodType>(
  target: object,
  schema: S,
  handler: (req: RpcMessage, extra: RawExtra) => Promise<JsonObject>,
): void {
  const set = Protocol.prototype.setRequestHandler as unknown as (this: AnyProtocol, s: unknown, h: unknown) => void;
  set.call(target as AnyProtocol, schema, handler);
}

/** An error the SDK sends back as-is: JSON-RPC code, message without the "MCP error N:" prefix, data. */
export class RpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcError';
  }
}

const PREFIX = /^MCP error -?\d+: /;

/** Upstream JSON-RPC errors keep their code and message; anything else becomes a generic internal error. */
export function relayError(err: unknown): RpcError {
  if (err instanceof RpcError) return err;
  if (err instanceof McpError) return new RpcError(err.code, publicMessage({ message: err.message.replace(PREFIX, '') }), err.data);
  return new RpcError(ErrorCode.InternalError, 'The gateway could not complete the request.');
}

export function isTimeout(err: unknown): boolean {
  return err instanceof McpError && err.code === ErrorCode.RequestTimeout;
}

export function isConnectionError(err: unknown): boolean {
  return err instanceof McpError && err.code === ErrorCode.ConnectionClosed;
}

export { ErrorCode };
