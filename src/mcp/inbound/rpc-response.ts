// JSON-RPC error responses of the MCP HTTP transports (also used by the app's error handler and body limits).

const REVISION = /^\d{4}-\d{2}-\d{2}$/;

/** JSON-RPC 2.0 and the 2025 revisions answer an unattributable error with `id: null`; 2026-07-28 has no null id. */
export function omitsNullId(protocolVersion: string | undefined): boolean {
  return !!protocolVersion && REVISION.test(protocolVersion) && protocolVersion >= '2026-07-28';
}

/** `protocolVersion`: the client's MCP-Protocol-Version header, when the error can see it. */
export function rpcError(status: number, code: number, message: string, protocolVersion?: string): Response {
  const body = { jsonrpc: '2.0', error: { code, message }, ...(omitsNullId(protocolVersion) ? {} : { id: null }) };
  return Response.json(body, { status });
}
