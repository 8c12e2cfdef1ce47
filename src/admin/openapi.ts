// The admin API's OpenAPI 3.1 document, with request bodies (and the spend and tool pin routes' query parameters) generated from the same zod schemas the routes use.
import { z } from 'zod';
import { auditPaths, auditSchemas } from './audit-openapi.js';
import { CreateKeySchema, TeamSchema, UpdateKeySchema } from './keys-service.js';
import { spendPaths, spendSchemas } from './spend-openapi.js';
import { toolPinsPaths, toolPinsSchemas } from './tool-pins-openapi.js';

const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const error = { description: 'Error', ...json(ref('Error')) };
/** Path and query values: ≤ 256 characters, no control characters, NUL or invalid Unicode (else 400). */
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', maxLength: 256 } };

/** An address past `auth.adminThrottle`'s failed-key limit gets 429 on every admin route: added to each operation. */
const AdminAuthThrottled = {
  description: 'Too many failed admin key attempts from this address: every attempt, the right key included, is refused until the window ends.',
  headers: { 'retry-after': { description: 'Seconds until the window ends.', schema: { type: 'integer', minimum: 1 } } },
  ...json(ref('Error')),
};

function withThrottled(paths: Record<string, Record<string, unknown>>): Record<string, Record<string, unknown>> {
  const add = (op: unknown) =>
    op && typeof op === 'object' && 'responses' in op ? { ...op, responses: { ...(op.responses as object), 429: { $ref: '#/components/responses/AdminAuthThrottled' } } } : op;
  return Object.fromEntries(Object.entries(paths).map(([path, ops]) => [path, Object.fromEntries(Object.entries(ops).map(([method, op]) => [method, add(op)]))]));
}

const KeyView = {
  type: 'object',
  required: ['id', 'name', 'team', 'prefix', 'policy', 'createdAt', 'status'],
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    team: { type: ['string', 'null'] },
    prefix: { type: 'string', description: 'The first characters of the key, for telling keys apart.' },
    policy: ref('AccessPolicy'),
    metadata: { type: 'object', additionalProperties: { type: 'string' } },
    createdAt: { type: 'string', format: 'date-time' },
    expiresAt: { type: ['string', 'null'], format: 'date-time' },
    revokedAt: { type: ['string', 'null'], format: 'date-time' },
    rotatedTo: { type: ['string', 'null'], description: 'The key that replaced this one.' },
    status: { enum: ['active', 'revoked', 'expired'] },
  },
};

const CreatedKey = {
  type: 'object',
  required: ['key', 'record'],
  properties: { key: { type: 'string', description: 'The key itself (sk-gw-…). Shown only in this response.' }, record: ref('KeyView') },
};

/** JSON Schema of a request body; dates (coerced from strings at the edge) are date-time strings on the wire. */
function bodySchema(schema: z.ZodType): unknown {
  return z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    override: (ctx) => {
      if ((ctx.zodSchema as { _zod: { def: { type: string } } })._zod.def.type === 'date') Object.assign(ctx.jsonSchema, { type: 'string', format: 'date-time' });
    },
  });
}

let cached: unknown;

export function openApiDocument(): unknown {
  cached ??= {
    openapi: '3.1.0',
    info: { title: 'Gateway admin API', version: '1' },
    components: {
      securitySchemes: { admin: { type: 'http', scheme: 'bearer', description: 'GATEWAY_ADMIN_KEY' } },
      responses: { AdminAuthThrottled },
      schemas: {
        Error: {
          type: 'object',
          properties: { error: { type: 'object', properties: { message: { type: 'string' }, type: { type: 'string' }, code: { type: 'string' }, param: { type: ['string', 'null'] } } } },
        },
        AccessPolicy: bodySchema(TeamSchema.omit({ name: true, metadata: true })),
        CreateKey: bodySchema(CreateKeySchema),
        UpdateKey: bodySchema(UpdateKeySchema),
        Team: bodySchema(TeamSchema),
        /** A team as listed: config teams (read-only here) and database teams in one view. */
        TeamView: { allOf: [ref('Team'), { type: 'object', properties: { id: { type: 'string' }, source: { type: 'string', enum: ['config', 'database'] }, createdAt: { type: ['string', 'null'], format: 'date-time' } } }] },
        KeyView,
        CreatedKey,
        ...auditSchemas,
        ...spendSchemas,
        ...toolPinsSchemas,
      },
    },
    security: [{ admin: [] }],
    paths: withThrottled({
      ...auditPaths,
      ...spendPaths,
      ...toolPinsPaths,
      '/admin/teams': { get: { summary: 'List teams (gateway.yaml and database alike)', responses: { 200: { description: 'Teams', ...json({ type: 'object', properties: { data: { type: 'array', items: ref('TeamView') } } }) }, 401: error } } },
      '/admin/teams/{id}': {
        put: { summary: 'Create or replace a database team (a gateway.yaml team is read-only: 409)', parameters: [idParam], requestBody: json(ref('Team')), responses: { 200: { description: 'The team', ...json(ref('TeamView')) }, 400: error, 401: error, 409: error } },
        delete: {
          summary: 'Delete a database team without keys',
          parameters: [idParam],
          responses: { 200: { description: 'Deleted', ...json({ type: 'object', properties: { id: { type: 'string' }, deleted: { type: 'boolean', const: true } } }) }, 401: error, 404: error, 409: error },
        },
      },
      '/admin/keys': {
        get: {
          summary: 'List keys (never the key itself)',
          parameters: [{ name: 'team', in: 'query', schema: { type: 'string', maxLength: 256 } }],
          responses: { 200: { description: 'Keys', ...json({ type: 'object', properties: { data: { type: 'array', items: ref('KeyView') } } }) }, 400: error, 401: error },
        },
        post: { summary: 'Create a key; the response shows it once', requestBody: json(ref('CreateKey')), responses: { 201: { description: 'Created', ...json(ref('CreatedKey')) }, 400: error, 401: error, 413: error } },
      },
      '/admin/keys/{id}': {
        get: { summary: 'One key', parameters: [idParam], responses: { 200: { description: 'The key', ...json(ref('KeyView')) }, 400: error, 404: error } },
        patch: {
          summary: 'Set or clear the expiry and replace any of the rules (each given field replaces the stored one; every replica applies them at once). A gateway.yaml key is read-only (409), so is a revoked key\'s rules',
          parameters: [idParam],
          requestBody: json(ref('UpdateKey')),
          responses: { 200: { description: 'The key', ...json(ref('KeyView')) }, 400: error, 401: error, 404: error, 409: error },
        },
      },
      '/admin/keys/{id}/rotate': {
        post: { summary: 'Replace a key by a new one with the same rules; the old one is revoked at once', parameters: [idParam], responses: { 201: { description: 'The new key', ...json(ref('CreatedKey')) }, 404: error } },
      },
      '/admin/keys/{id}/revoke': {
        post: { summary: 'Revoke a key on every replica', parameters: [idParam], responses: { 200: { description: 'The key', ...json(ref('KeyView')) }, 404: error } },
      },
    }),
  };
  return cached;
}
