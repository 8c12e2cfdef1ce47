// JSON-RPC error responses of the MCP HTTP transports (also used by the app's error handler and body limits).

export function rpcError(status: number, code: number, message: string): Response {
  return Response.json({ jsonrpc: '2.0', error: { code, message }, id: null }, { status });
}
