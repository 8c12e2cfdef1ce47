// Validates rendered Kubernetes objects offline: kubernetes-models' OpenAPI validators per kind, a structural check for ServiceMonitor.
import { Deployment, StatefulSet } from 'kubernetes-models/apps/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { Job } from 'kubernetes-models/batch/v1';
import { Ingress } from 'kubernetes-models/networking.k8s.io/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { ConfigMap, Secret, Service, ServiceAccount } from 'kubernetes-models/v1';
import { parseAllDocuments } from 'yaml';

export type K8sObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string>; annotations?: Record<string, string> } };

type Model = new (data: never) => { validate(): void };
const MODELS: Record<string, Model> = {
  'v1/ConfigMap': ConfigMap as unknown as Model,
  'v1/Secret': Secret as unknown as Model,
  'v1/Service': Service as unknown as Model,
  'v1/ServiceAccount': ServiceAccount as unknown as Model,
  'apps/v1/Deployment': Deployment as unknown as Model,
  'apps/v1/StatefulSet': StatefulSet as unknown as Model,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler as unknown as Model,
  'batch/v1/Job': Job as unknown as Model,
  'networking.k8s.io/v1/Ingress': Ingress as unknown as Model,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget as unknown as Model,
};

/** The Prometheus Operator's CRD has no model here: the fields the operator needs, checked by hand. */
function validateServiceMonitor(o: K8sObject): void {
  const spec = o.spec as { selector?: { matchLabels?: Record<string, string> }; endpoints?: Array<Record<string, unknown>> } | undefined;
  if (!spec?.selector?.matchLabels || Object.keys(spec.selector.matchLabels).length === 0) throw new Error('ServiceMonitor: spec.selector.matchLabels is empty');
  if (!spec.endpoints?.length) throw new Error('ServiceMonitor: no endpoints');
  for (const e of spec.endpoints) {
    if (typeof e.port !== 'string' || typeof e.path !== 'string') throw new Error('ServiceMonitor: an endpoint needs a named port and a path');
    for (const k of ['interval', 'scrapeTimeout'] as const) {
      if (e[k] !== undefined && !/^\d+(ms|s|m|h)$/.test(String(e[k]))) throw new Error(`ServiceMonitor: bad ${k} ${String(e[k])}`);
    }
    const auth = e.authorization as { type?: string; credentials?: { name?: string; key?: string } } | undefined;
    if (auth && (auth.type !== 'Bearer' || !auth.credentials?.name || !auth.credentials.key)) throw new Error('ServiceMonitor: authorization needs type Bearer and a Secret key');
  }
}

/** Throws with the object's kind and name when it does not validate; unknown kinds are an error, not a pass. */
export function validateObject(o: K8sObject): void {
  const id = `${o.kind}/${o.metadata?.name}`;
  if (!o.metadata?.name || !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(o.metadata.name) || o.metadata.name.length > 253) throw new Error(`${id}: bad metadata.name`);
  if (o.apiVersion === 'monitoring.coreos.com/v1' && o.kind === 'ServiceMonitor') return validateServiceMonitor(o);
  const Model = MODELS[`${o.apiVersion}/${o.kind}`];
  if (!Model) throw new Error(`${id}: no validator for ${o.apiVersion} ${o.kind}`);
  // kustomize wraps long base64 values over lines; the API server's decoder skips newlines, the format check does not.
  const data = o.kind === 'Secret' && o.data ? Object.fromEntries(Object.entries(o.data as Record<string, string>).map(([k, v]) => [k, v.replace(/\s+/g, '')])) : undefined;
  try {
    new Model((data ? { ...o, data } : o) as never).validate();
  } catch (err) {
    throw new Error(`${id}: ${(err as Error).message}`);
  }
}

/** Parses a multi-document YAML stream as Kubernetes reads it (YAML 1.1), dropping empty documents. */
export function parseManifests(text: string): K8sObject[] {
  return parseAllDocuments(text, { version: '1.1' })
    .map((d) => {
      if (d.errors.length) throw new Error(`invalid YAML: ${d.errors[0]!.message}`);
      return d.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

export const byKind = (objs: K8sObject[], kind: string): K8sObject[] => objs.filter((o) => o.kind === kind);

export function one(objs: K8sObject[], kind: string): K8sObject {
  const found = byKind(objs, kind);
  if (found.length !== 1) throw new Error(`expected one ${kind}, found ${found.length}`);
  return found[0]!;
}
