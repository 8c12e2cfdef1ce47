// What every rendering of the gateway's manifests must hold (chart defaults, production values, kustomize output).
import { expect } from 'vitest';
import { parse } from 'yaml';
import { interpolate, parseConfig, type GatewayConfig } from '../../src/config.js';
import { byKind, one, validateObject, type K8sObject } from './k8s-validate.js';

interface Probe {
  httpGet?: { path: string; port: string | number };
}
interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string } };
}
export interface Container {
  name: string;
  ports: Array<{ name: string; containerPort: number }>;
  env: EnvVar[];
  envFrom?: Array<{ secretRef?: { name: string } }>;
  readinessProbe: Probe;
  livenessProbe: Probe;
  startupProbe: Probe;
  lifecycle?: { preStop?: { exec?: { command: string[] } } };
  securityContext: Record<string, unknown> & { capabilities?: { drop?: string[] } };
  volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }>;
}
interface PodSpec {
  securityContext: Record<string, unknown> & { seccompProfile?: { type: string } };
  terminationGracePeriodSeconds: number;
  containers: Container[];
  volumes: Array<{ name: string; configMap?: { name: string }; emptyDir?: object; hostPath?: object }>;
  hostNetwork?: boolean;
}
export interface Workload {
  replicas?: number;
  selector: { matchLabels: Record<string, string> };
  template: { metadata: { labels: Record<string, string>; annotations?: Record<string, string> }; spec: PodSpec };
  volumeClaimTemplates?: Array<{ metadata: { name: string } }>;
}

export interface GatewayRendering {
  workload: K8sObject & { spec: Workload };
  container: Container;
  env: Record<string, EnvVar>;
  configMap: K8sObject & { data: Record<string, string> };
  config: GatewayConfig;
}

const spec = <T>(o: K8sObject): T => o.spec as T;

/** Validates every object, then checks how they fit together; returns the parts tests look at further. */
export function checkGateway(objs: K8sObject[]): GatewayRendering {
  for (const o of objs) validateObject(o);
  const workloads = objs.filter((o) => o.kind === 'Deployment' || o.kind === 'StatefulSet');
  expect(workloads, 'one Deployment or StatefulSet').toHaveLength(1);
  const workload = workloads[0] as GatewayRendering['workload'];
  const w = workload.spec;
  const podLabels = w.template.metadata.labels;
  expect(podLabels).toMatchObject(w.selector.matchLabels);

  const container = w.template.spec.containers.find((c) => c.name === 'gateway')!;
  expect(container).toBeDefined();
  const svc = one(objs, 'Service');
  const svcSpec = spec<{ selector: Record<string, string>; ports: Array<{ name: string; targetPort: string }> }>(svc);
  expect(podLabels).toMatchObject(svcSpec.selector);
  expect(container.ports.map((p) => p.name)).toContain(svcSpec.ports[0]!.targetPort);
  for (const pdb of byKind(objs, 'PodDisruptionBudget')) expect(spec<{ selector: unknown }>(pdb).selector).toEqual({ matchLabels: w.selector.matchLabels });
  const hpas = byKind(objs, 'HorizontalPodAutoscaler');
  for (const hpa of hpas) {
    expect(spec<{ scaleTargetRef: unknown }>(hpa).scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: workload.kind, name: workload.metadata.name });
    expect(w.replicas, 'the HPA owns the replica count').toBeUndefined();
  }
  for (const sm of byKind(objs, 'ServiceMonitor')) {
    const s = spec<{ selector: { matchLabels: Record<string, string> }; endpoints: Array<{ port: string; path: string }> }>(sm);
    expect(svc.metadata.labels).toMatchObject(s.selector.matchLabels);
    expect(svcSpec.ports.map((p) => p.name)).toContain(s.endpoints[0]!.port);
    expect(s.endpoints[0]!.path).toBe('/metrics');
  }

  // Probes: readiness turns 503 while draining or without a database; liveness only says the process is up.
  expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
  expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });
  expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'http' });

  // PodSecurity "restricted".
  const pod = w.template.spec;
  expect(pod.securityContext).toMatchObject({ runAsNonRoot: true, runAsUser: 1000, seccompProfile: { type: 'RuntimeDefault' } });
  expect(container.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false });
  expect(container.securityContext.privileged).not.toBe(true);
  expect(container.securityContext.capabilities?.drop).toContain('ALL');
  expect(pod.hostNetwork).not.toBe(true);
  expect(pod.volumes.some((v) => v.hostPath)).toBe(false);

  // Every mount has a volume; the writable ones are where the gateway writes.
  const volumes = new Set([...pod.volumes.map((v) => v.name), ...(w.volumeClaimTemplates ?? []).map((c) => c.metadata.name)]);
  for (const m of container.volumeMounts) expect(volumes.has(m.name), `volume for ${m.mountPath}`).toBe(true);
  const mount = (path: string) => container.volumeMounts.find((m) => m.mountPath === path);
  expect(mount('/data')?.readOnly).not.toBe(true);
  expect(mount('/tmp')?.readOnly).not.toBe(true);
  expect(mount('/etc/gateway')?.readOnly).toBe(true);

  const env = Object.fromEntries(container.env.map((e) => [e.name, e]));
  const secretName = container.envFrom?.find((e) => e.secretRef)?.secretRef?.name;
  expect(secretName, 'envFrom a Secret (provider keys)').toBeTruthy();
  for (const name of ['GATEWAY_ADMIN_KEY', 'GATEWAY_AUDIT_SIGNING_KEY']) {
    expect(env[name]?.value, `${name} is never a literal`).toBeUndefined();
    expect(env[name]?.valueFrom?.secretKeyRef).toEqual({ name: secretName, key: name });
  }
  for (const name of ['DATABASE_URL', 'REDIS_URL']) expect(env[name]?.value ?? env[name]?.valueFrom?.secretKeyRef, name).toBeTruthy();
  for (const e of container.env) {
    if (/KEY|TOKEN|PASSWORD|SECRET/.test(e.name)) expect(e.value, `${e.name} from a Secret`).toBeUndefined();
  }
  expect(env.GATEWAY_DATA_DIR?.value).toBe('/data');
  expect(env.PORT?.value).toBe(String(container.ports[0]!.containerPort));

  // GATEWAY_CONFIG names a file of the ConfigMap mounted read-only.
  const configPath = env.GATEWAY_CONFIG?.value ?? '';
  const configMount = container.volumeMounts.find((m) => configPath.startsWith(`${m.mountPath}/`))!;
  const configVolume = pod.volumes.find((v) => v.name === configMount.name)!;
  const configMap = byKind(objs, 'ConfigMap').find((c) => c.metadata.name === configVolume.configMap?.name) as GatewayRendering['configMap'];
  expect(configMap, `ConfigMap ${configVolume.configMap?.name}`).toBeDefined();
  const raw = configMap.data[configPath.slice(configMount.mountPath.length + 1)];
  expect(raw).toBeDefined();

  // The gateway itself accepts the config, with every ${VAR} it names present in the environment.
  const vars = Object.fromEntries([...raw!.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => [m[1]!, `test-value-for-${m[1]}-0123456789`]));
  const config = parseConfig(interpolate(parse(raw!), vars), vars);

  // Kubernetes waits for the preStop sleep, the drain and a margin before it kills the pod.
  const sleep = Number(container.lifecycle?.preStop?.exec?.command[1] ?? 0);
  expect(pod.terminationGracePeriodSeconds).toBeGreaterThanOrEqual(sleep + Math.ceil(config.server.shutdownGraceMs / 1000) + 1);
  const maxReplicas = hpas.length ? Math.max(...hpas.map((h) => spec<{ maxReplicas: number }>(h).maxReplicas)) : w.replicas!;
  expect(config.policy.replicas, 'policy.replicas covers every replica').toBeGreaterThanOrEqual(maxReplicas);
  return { workload, container, env, configMap, config };
}
