// What this gateway's admin API takes, read from its own OpenAPI document: the console offers exactly that, no more.
import type { AdminClient } from './admin-client.js';

interface OpenApiDoc {
  paths?: Record<string, Record<string, { parameters?: Array<{ name?: string; in?: string }>; requestBody?: { content?: Record<string, { schema?: unknown }> } }>>;
  components?: { schemas?: Record<string, unknown> };
}

export interface ApiFeatures {
  /** Query parameters GET /admin/sessions accepts. */
  sessionFilters: Set<string>;
  /** Whether PATCH /admin/keys/{id} takes rules (else only the expiry). */
  keyRulesPatch: boolean;
}

const NONE: ApiFeatures = { sessionFilters: new Set(['key', 'team', 'from', 'to', 'hasDenials', 'limit', 'offset']), keyRulesPatch: false };

export function featuresOf(doc: OpenApiDoc): ApiFeatures {
  const params = doc.paths?.['/admin/sessions']?.get?.parameters?.filter((p) => p.in === 'query' && p.name).map((p) => p.name!) ?? [];
  let body: unknown = doc.paths?.['/admin/keys/{id}']?.patch?.requestBody?.content?.['application/json']?.schema;
  const ref = (body as { $ref?: unknown } | undefined)?.$ref;
  if (typeof ref === 'string') body = doc.components?.schemas?.[ref.split('/').pop() ?? ''];
  const props = (body as { properties?: Record<string, unknown> } | undefined)?.properties ?? {};
  return { sessionFilters: params.length ? new Set(params) : NONE.sessionFilters, keyRulesPatch: 'models' in props };
}

/** The API's OpenAPI document (built once by the API, so this is cheap); on any failure, the oldest API's features. */
export async function apiFeatures(admin: AdminClient): Promise<ApiFeatures> {
  const doc = await admin.get<OpenApiDoc>('/admin/openapi.json');
  return doc.ok && doc.data ? featuresOf(doc.data) : NONE;
}
