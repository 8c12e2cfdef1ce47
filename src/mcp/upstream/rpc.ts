// JSON-RPC plumbing shared by the hub and the inbound server: loose results and error relay (raw handlers: ../sdk-adapter.ts).
import { ErrorCode, McpError } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { publicMessage } from '../../errors.js';

export type JsonObject = Record<string, unknown>;

/** A JSON object (not an array, not null): what a field of relayed MCP data must be before its keys are read. */
export function isJsonObject(v: unknown): v is JsonObject {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}
export interface RpcMessage {
  method: string;
  params?: JsonObject;
}

/** Accepts any result object and keeps every field: upstream data is relayed, not re-modelled. */
export const LooseResult = z.looseObject({});

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
