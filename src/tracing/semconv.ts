// Our own names for the OTel GenAI and MCP semantic conventions (the upstream constants are deprecated and moved; no package ships the new ones).

// GenAI inference and tool spans (semantic-conventions-genai, gen-ai-spans.md).
export const GEN_AI_OPERATION_NAME = 'gen_ai.operation.name';
export const GEN_AI_PROVIDER_NAME = 'gen_ai.provider.name';
export const GEN_AI_REQUEST_MODEL = 'gen_ai.request.model';
export const GEN_AI_REQUEST_STREAM = 'gen_ai.request.stream';
export const GEN_AI_RESPONSE_MODEL = 'gen_ai.response.model';
export const GEN_AI_RESPONSE_ID = 'gen_ai.response.id';
export const GEN_AI_RESPONSE_FINISH_REASONS = 'gen_ai.response.finish_reasons';
export const GEN_AI_USAGE_INPUT_TOKENS = 'gen_ai.usage.input_tokens';
export const GEN_AI_USAGE_OUTPUT_TOKENS = 'gen_ai.usage.output_tokens';
export const GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS = 'gen_ai.usage.cache_read.input_tokens';
export const GEN_AI_CONVERSATION_ID = 'gen_ai.conversation.id';
export const GEN_AI_TOOL_NAME = 'gen_ai.tool.name';
export const GEN_AI_PROMPT_NAME = 'gen_ai.prompt.name';

export type GenAiOperation = 'chat' | 'embeddings' | 'execute_tool';

// MCP (semantic-conventions-genai, mcp.md).
export const MCP_METHOD_NAME = 'mcp.method.name';
export const MCP_SESSION_ID = 'mcp.session.id';
export const MCP_RESOURCE_URI = 'mcp.resource.uri';
export const JSONRPC_REQUEST_ID = 'jsonrpc.request.id';
export const RPC_RESPONSE_STATUS_CODE = 'rpc.response.status_code';
/** `traceparent`/`tracestate` go unprefixed in `params._meta` (SEP-414). */
export const MCP_META_TRACEPARENT = 'traceparent';
export const MCP_META_TRACESTATE = 'tracestate';

// General and HTTP (stable semconv).
export const ERROR_TYPE = 'error.type';
export const HTTP_REQUEST_METHOD = 'http.request.method';
export const HTTP_RESPONSE_STATUS_CODE = 'http.response.status_code';
export const HTTP_ROUTE = 'http.route';
export const URL_PATH = 'url.path';
export const USER_AGENT_ORIGINAL = 'user_agent.original';
export const SERVER_ADDRESS = 'server.address';
export const SERVER_PORT = 'server.port';
export const NETWORK_TRANSPORT = 'network.transport';
export const SERVICE_NAME = 'service.name';
export const SERVICE_VERSION = 'service.version';

// The gateway's own attributes (no convention exists for them).
export const GW_REQUEST_ID = 'gateway.request.id';
export const GW_KEY_ID = 'gateway.key.id';
export const GW_TEAM_ID = 'gateway.team.id';
export const GW_PROVIDER_ID = 'gateway.provider.id';
export const GW_ATTEMPT_HEDGE = 'gateway.attempt.hedge';
export const GW_MCP_SERVER_ID = 'gateway.mcp.server.id';
export const GW_POLICY_STEP = 'gateway.policy.step';
export const GW_POLICY_DECISION = 'gateway.policy.decision';
export const GW_POLICY_RULE = 'gateway.policy.rule';

/** Our provider kinds → `gen_ai.provider.name` well-known values; anything else keeps its kind. */
export const PROVIDER_NAMES: Readonly<Record<string, string>> = {
  openai: 'openai',
  anthropic: 'anthropic',
  gemini: 'gcp.gemini',
  'azure-openai': 'azure.ai.openai',
};
