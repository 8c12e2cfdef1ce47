// OpenAPI fragments for /admin/mcp/tools (merged into the admin document by openapi.ts); the query and body come from the routes' zod schemas.
import { z } from 'zod';
import { queryParams } from './spend-openapi.js';
import { ToolPinsQuerySchema, ToolReviewSchema } from './tool-pins-service.js';

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const error = { description: 'Error', ...json(ref('Error')) };
const hash = (description: string) => ({ type: ['string', 'null'], pattern: '^[0-9a-f]{64}$', description });
const time = (description?: string) => ({ type: ['string', 'null'], format: 'date-time', ...(description ? { description } : {}) });
const pathParam = (name: string, description: string) => ({ name, in: 'path', required: true, description, schema: { type: 'string', maxLength: 256 } });

const ToolPinView = {
  type: 'object',
  required: ['server', 'tool', 'status', 'approvedHash', 'pendingHash', 'configPin', 'firstSeenAt', 'changedAt', 'approvedAt', 'approvedBy', 'approved', 'pending', 'changes'],
  properties: {
    server: { type: 'string' },
    tool: { type: 'string', description: "The upstream server's own tool name." },
    status: { enum: ['approved', 'quarantined', 'rejected'] },
    approvedHash: hash('sha256 of the canonical JSON of the approved definition (name, title, description, inputSchema, outputSchema, annotations).'),
    pendingHash: hash('The definition seen since, held back until approved.'),
    configPin: hash('The pin in gateway.yaml (mcpServers.<id>.pins): it decides, approvals cannot override it.'),
    firstSeenAt: { type: 'string', format: 'date-time' },
    changedAt: time('When the pending definition was first seen.'),
    approvedAt: time(),
    approvedBy: { type: ['string', 'null'], description: '`first-use` for trust on first use, else who approved.' },
    approved: { description: 'The approved definition as stored (cut past 64 KiB and marked `_truncated`).' },
    pending: { description: 'The pending definition as stored.' },
    changes: {
      type: 'array',
      description: 'What the pending definition changes, leaf by leaf (JSON Pointer paths; `before` absent: added; `after` absent: removed).',
      items: { type: 'object', required: ['path'], properties: { path: { type: 'string' }, before: {}, after: {} } },
    },
  },
};

export const toolPinsSchemas = {
  ToolPinView,
  ToolReview: z.toJSONSchema(ToolReviewSchema, { io: 'input', unrepresentable: 'any' }),
};

const params = [pathParam('server', 'MCP server id'), pathParam('tool', "The upstream server's own tool name (URL-encoded)")];
const review = (summary: string) => ({
  post: {
    summary,
    parameters: params,
    requestBody: { required: false, ...json(ref('ToolReview')) },
    responses: { 200: { description: 'The tool', ...json(ref('ToolPinView')) }, 400: error, 401: error, 404: error, 409: error },
  },
});

export const toolPinsPaths = {
  '/admin/mcp/tools': {
    get: {
      summary: 'Pinned MCP tool definitions: approved ones, and changed or new ones held back for review, with what changed',
      parameters: queryParams(ToolPinsQuerySchema),
      responses: { 200: { description: 'Tools', ...json({ type: 'object', properties: { data: { type: 'array', items: ref('ToolPinView') } } }) }, 400: error, 401: error },
    },
  },
  '/admin/mcp/tools/{server}/{tool}/approve': review(
    'Approve the pending definition (every replica serves it at once); with `expectedHash`, only if it is still the one reviewed (else 409). A tool pinned in gateway.yaml: 409',
  ),
  '/admin/mcp/tools/{server}/{tool}/reject': review('Reject the pending definition: the tool stays held back, marked rejected, until its definition changes again'),
};
