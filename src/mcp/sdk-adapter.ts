// The one place that reaches into MCP SDK internals (v1 for upstream clients, v2 for the inbound server); test/unit/sdk-adapter.test.ts fails when an SDK upgrade moves what it relies on.
import { randomInt } from 'node:crypto';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { Server as V1Server } from '@modelcontextprotocol/sdk/server/index.js';
import { Protocol, type RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Notification, Request, Result } from '@modelcontextprotocol/sdk/types.js';
import { Server, type JSONRPCRequest, type Result as V2Result, type ServerContext } from '@modelcontextprotocol/server';
import type { z } from 'zod';

type AnyProtocol = Protocol<Request, Notification, Result>;
export type RawExtra = RequestHandlerExtra<Request, Notification>;

/** A request as the gateway relays it: method and params only, nothing re-modelled. */
export interface RawRequest {
  method: string;
  params?: Record<string, unknown>;
}

/**
 * Registers a handler with the base Protocol's setRequestHandler, past the v1 Server's tools/call wrapper and the
 * Client's sampling/elicitation wrappers: they re-validate results against this SDK's schemas and would reject
 * or strip fields of relayed upstream data the gateway must pass on unchanged.
 */
export function rawRequestHandler(
  target: Client | V1Server,
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

type Handler = (request: JSONRPCRequest, ctx: ServerContext) => Promise<V2Result>;

/** Where the v2 Protocol keeps what it sent: its counter of request ids and its handlers of pending responses. */
interface PendingRequests {
  _requestMessageId?: unknown;
  _responseHandlers?: unknown;
}
/** Ids stay below 2^31, so a client that reads JSON-RPC ids as 32-bit integers still echoes them right. */
const ID_SEED_LIMIT = 2 ** 31 - 2 ** 24;

/**
 * Starts the server's ids of server→client requests at a random point instead of 0. Replicas that rebuilt one session
 * each run a server for it; with ids from one counter, an answer relayed between them could settle another replica's
 * request. Leaves the counter alone if the SDK no longer has it (then ids collide as they did before, nothing breaks).
 */
function seedRequestIds(server: Server): void {
  const p = server as unknown as PendingRequests;
  if (p._requestMessageId === 0) p._requestMessageId = randomInt(1, ID_SEED_LIMIT);
}

/**
 * Whether `server` waits for the answer to the server→client request with this id (the SDK matches answers by
 * Number(id) in a private map and has no accessor). If the map is gone, true: every answer stays with the replica it
 * reached, as before relaying existed.
 */
export function awaitsResponse(server: Server, id: unknown): boolean {
  const pending = (server as unknown as PendingRequests)._responseHandlers;
  if (!(pending instanceof Map)) return true;
  return (typeof id === 'number' || typeof id === 'string') && pending.has(Number(id));
}

/**
 * The v2 Server the inbound side serves both protocol eras with. Its tools/call wrapper validates results against
 * the SDK's schema (stripping or refusing content types and fields it does not model); wrapped as prompts/get,
 * tools/call keeps the same input_required seam (era check, capability gate, requestState verification) and an
 * upstream's result is relayed as it was sent.
 */
export class RelayServer extends Server {
  constructor(...args: ConstructorParameters<typeof Server>) {
    super(...args);
    seedRequestIds(this);
  }

  protected override _wrapHandler(method: string, handler: Handler): Handler {
    return super._wrapHandler(method === 'tools/call' ? 'prompts/get' : method, handler);
  }
}

export type RelayHandler = (params: Record<string, unknown>, ctx: ServerContext) => Promise<Record<string, unknown>>;

/** Registers a v2 handler on plain JSON params and results: the gateway relays what upstreams send, it does not model it. */
export function relayHandler(server: Server, method: string, handler: RelayHandler): void {
  const set = server.setRequestHandler as unknown as (this: Server, m: string, h: (req: JSONRPCRequest, ctx: ServerContext) => Promise<unknown>) => void;
  set.call(server, method, (req, ctx) => handler((req.params ?? {}) as Record<string, unknown>, ctx));
}
