// The Helm chart rendered offline with its defaults and with production values: valid objects that fit together, secrets never inline.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allObjects, renderChart, type RenderOptions } from '../../deploy/scripts/helm/helm-chart.js';
import type { GoMap } from '../../deploy/scripts/helm/go-values.js';
import { chartDir } from '../../deploy/scripts/render-k8s.js';
import { checkGateway } from './gateway-invariants.js';
import { one, type K8sObject } from './k8s-validate.js';

const PRODUCTION = join(chartDir, 'ci/production-values.yaml');
const render = (opts: Partial<RenderOptions> = {}) => renderChart(chartDir, { releaseName: 'gw', ...opts });
const objects = (opts: Partial<RenderOptions> = {}) => allObjects(render(opts)) as K8sObject[];
const trial: GoMap = {
  secrets: {
    create: true,
    values: { GATEWAY_ADMIN_KEY: 'admin-0123456789abcdef', GATEWAY_AUDIT_SIGNING_KEY: 'c2VlZC1vZi0zMi1ieXRlcy0wMTIzNDU2Nzg5YWJjZGU=', DATABASE_URL: 'postgres://u:p@db/gw', REDIS_URL: 'redis://redis:6379' },
  },
};

describe('chart defaults', () => {
  const rendered = render();
  const objs = allObjects(rendered) as K8sObject[];
  const gw = checkGateway(objs);

  it('renders a Deployment of 2, Service, ServiceAccount, ConfigMap and PDB, and no Secret', () => {
    expect(objs.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'PodDisruptionBudget', 'Service', 'ServiceAccount']);
    expect(gw.workload.spec.replicas).toBe(2);
    expect(gw.workload.metadata.name).toBe('gw-mcp-agent-gateway');
  });

  it('reads DATABASE_URL, REDIS_URL and the keys from the release Secret the user creates', () => {
    expect(gw.env.DATABASE_URL!.valueFrom!.secretKeyRef).toEqual({ name: 'gw-mcp-agent-gateway', key: 'DATABASE_URL' });
    expect(gw.env.REDIS_URL!.valueFrom!.secretKeyRef).toEqual({ name: 'gw-mcp-agent-gateway', key: 'REDIS_URL' });
    expect(gw.container.envFrom).toEqual([{ secretRef: { name: 'gw-mcp-agent-gateway' } }]);
    expect(rendered.notes).toContain('Secret "gw-mcp-agent-gateway" (GATEWAY_ADMIN_KEY, GATEWAY_AUDIT_SIGNING_KEY, DATABASE_URL, REDIS_URL,');
  });

  it('grace period = preStop sleep 5 + drain 25 + margin 10, and the config checksum rolls pods', () => {
    expect(gw.workload.spec.template.spec.terminationGracePeriodSeconds).toBe(40);
    expect(gw.container.lifecycle?.preStop?.exec?.command).toEqual(['sleep', '5']);
    const cmText = rendered.templates.find((t) => t.path === 'templates/configmap.yaml')!.text;
    expect(gw.workload.spec.template.metadata.annotations?.['checksum/config']).toBe(createHash('sha256').update(cmText).digest('hex'));
    const changed = render({ values: { config: { logLevel: 'debug' } } });
    const annotations = (r: typeof changed) => (one(allObjects(r) as K8sObject[], 'Deployment').spec as { template: { metadata: { annotations: object } } }).template.metadata.annotations;
    expect(annotations(changed)).not.toEqual(annotations(rendered));
  });

  it('derives the grace period from config.server.shutdownGraceMs and drops the preStop hook at 0', () => {
    const g = checkGateway(objects({ values: { config: { server: { shutdownGraceMs: 30_500 } }, lifecycle: { preStopSleepSeconds: 0, terminationMarginSeconds: 10 } } }));
    expect(g.workload.spec.template.spec.terminationGracePeriodSeconds).toBe(41);
    expect(g.container.lifecycle).toBeUndefined();
  });

  it('names resources after the release alone when it contains the chart name', () => {
    expect(one(objects({ releaseName: 'prod-mcp-agent-gateway' }), 'Service').metadata.name).toBe('prod-mcp-agent-gateway');
    expect(one(objects({ values: { fullnameOverride: 'edge' } }), 'Service').metadata.name).toBe('edge');
  });
});

describe('production values', () => {
  const objs = objects({ valuesFiles: [PRODUCTION] });
  const gw = checkGateway(objs);

  it('a StatefulSet with a claim per replica, autoscaled, scraped with the admin key, behind an Ingress', () => {
    expect(objs.map((o) => o.kind).sort()).toEqual(['ConfigMap', 'HorizontalPodAutoscaler', 'Ingress', 'PodDisruptionBudget', 'Service', 'ServiceAccount', 'ServiceMonitor', 'StatefulSet']);
    expect(gw.workload.spec.volumeClaimTemplates?.map((c) => c.metadata.name)).toEqual(['data']);
    expect(gw.workload.spec.template.spec.volumes.find((v) => v.name === 'data')).toBeUndefined();
    const sm = one(objs, 'ServiceMonitor').spec as { endpoints: Array<{ authorization: unknown }> };
    expect(sm.endpoints[0]!.authorization).toEqual({ type: 'Bearer', credentials: { name: 'gateway-secrets', key: 'GATEWAY_ADMIN_KEY' } });
    const ingress = one(objs, 'Ingress').spec as { rules: Array<{ http: { paths: Array<{ backend: { service: { name: string } } }> } }> };
    expect(ingress.rules[0]!.http.paths[0]!.backend.service.name).toBe(one(objs, 'Service').metadata.name);
  });

  it('takes the database URL from another Secret, Redis from a value, the rest from the existing Secret', () => {
    expect(gw.env.DATABASE_URL!.valueFrom!.secretKeyRef).toEqual({ name: 'gateway-pg-app', key: 'uri' });
    expect(gw.env.REDIS_URL!.value).toBe('redis://gateway-redis-master.data.svc:6379/0');
    expect(gw.container.envFrom?.[0]).toEqual({ secretRef: { name: 'gateway-secrets' } });
    expect((gw.container as unknown as { image: string }).image).toMatch(/^registry\.example\.com\/platform\/mcp-agent-gateway@sha256:0{64}$/);
    expect(gw.workload.spec.template.spec.terminationGracePeriodSeconds).toBe(5 + 55 + 10);
    expect(gw.config.providers.openai?.kind).toBe('openai');
  });
});

describe('options', () => {
  it('secrets.create makes the Secret from values and rolls pods when it changes', () => {
    const objs = objects({ values: trial });
    const gw = checkGateway(objs);
    const secret = one(objs, 'Secret') as K8sObject & { stringData: Record<string, string> };
    expect(secret.metadata.name).toBe('gw-mcp-agent-gateway');
    expect(Object.keys(secret.stringData).sort()).toEqual(['DATABASE_URL', 'GATEWAY_ADMIN_KEY', 'GATEWAY_AUDIT_SIGNING_KEY', 'REDIS_URL']);
    expect(gw.workload.spec.template.metadata.annotations?.['checksum/secret']).toMatch(/^[0-9a-f]{64}$/);
  });

  it('secrets.create refuses to render without the keys every replica needs, or together with existingSecret', () => {
    expect(() => render({ values: { secrets: { create: true, values: { GATEWAY_AUDIT_SIGNING_KEY: 'x' } } } })).toThrow(/secrets\.values\.GATEWAY_ADMIN_KEY is required/);
    const noDb = { secrets: { create: true, values: { GATEWAY_ADMIN_KEY: 'a', GATEWAY_AUDIT_SIGNING_KEY: 'b', REDIS_URL: 'r' } } };
    expect(() => render({ values: noDb })).toThrow(/secrets\.values\.DATABASE_URL \(the database URL\) is required/);
    expect(() => render({ values: { secrets: { ...(trial.secrets as GoMap), existingSecret: 'mine' } } })).toThrow(/not both/);
  });

  it('metrics.public opens /metrics and the ServiceMonitor sends no key', () => {
    const objs = objects({ values: { metrics: { public: true }, serviceMonitor: { enabled: true } } });
    expect(checkGateway(objs).env.GATEWAY_METRICS_PUBLIC?.value).toBe('true');
    expect((one(objs, 'ServiceMonitor').spec as { endpoints: Array<object> }).endpoints[0]).not.toHaveProperty('authorization');
  });

  it('the migration Job is a pre-install/pre-upgrade hook reading DATABASE_URL only', () => {
    const objs = objects({ values: { migrations: { job: { enabled: true } } } });
    checkGateway(objs);
    const job = one(objs, 'Job');
    expect(job.metadata.annotations).toMatchObject({ 'helm.sh/hook': 'pre-install,pre-upgrade', 'helm.sh/hook-delete-policy': 'before-hook-creation,hook-succeeded' });
    const c = (job.spec as { template: { spec: { containers: Array<{ args: string[]; env: Array<{ name: string }> }> } } }).template.spec.containers[0]!;
    expect(c.args).toEqual(['node', 'dist/main.js', 'migrate']);
    expect(c.env.map((e) => e.name)).toEqual(['DATABASE_URL']);
    expect(() => render({ values: { ...trial, migrations: { job: { enabled: true } } } })).toThrow(/does not exist yet when pre-install hooks run/);
  });

  it('values.schema.json rejects typos and wrong types, as helm install would', () => {
    expect(() => render({ values: { replica: 3 } })).toThrow(/schema/);
    expect(() => render({ values: { replicaCount: '2' } })).toThrow(/replicaCount/);
    expect(() => render({ values: { persistence: { enabeld: true } } })).toThrow(/schema/);
    expect(() => render({ values: { image: { digest: 'latest' } } })).toThrow(/image\.digest/);
    expect(() => render({ values: { config: { anything: { goes: 1 } } } })).not.toThrow();
  });

  it('an autoscaler needs a target', () => {
    expect(() => render({ values: { autoscaling: { enabled: true, targetCPUUtilizationPercentage: 0 } } })).toThrow(/set targetCPUUtilizationPercentage/);
  });
});
