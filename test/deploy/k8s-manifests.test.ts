// deploy/k8s: in sync with the chart, buildable by kubectl kustomize, and the README's overlay works as written.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { allObjects, renderChart } from '../../deploy/scripts/helm/helm-chart.js';
import { BASE_RELEASE, chartDir, currentBaseFiles, k8sBaseFiles, k8sDir, repoRoot } from '../../deploy/scripts/render-k8s.js';
import { checkGateway } from './gateway-invariants.js';
import { one, parseManifests, type K8sObject } from './k8s-validate.js';

const hasKubectl = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' }).status === 0;

function kustomize(dir: string): K8sObject[] {
  // `kubectl kustomize` builds locally; it never contacts a cluster.
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 });
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir}: ${r.stderr}`);
  return parseManifests(r.stdout);
}

const tmpDirs: string[] = [];
afterAll(() => tmpDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('deploy/k8s', () => {
  it('is exactly what deploy/scripts/render-k8s.ts makes of the chart today', () => {
    const want = k8sBaseFiles();
    expect(currentBaseFiles()).toEqual([...want.keys()].sort());
    for (const [name, text] of want) expect(readFileSync(join(k8sDir, name), 'utf8'), `deploy/k8s/${name}: run npx tsx deploy/scripts/render-k8s.ts`).toBe(text);
  });

  it.skipIf(!hasKubectl)('kubectl kustomize builds it into the chart default objects, valid and consistent', () => {
    const built = kustomize(k8sDir);
    const gw = checkGateway(built);
    const chart = allObjects(renderChart(chartDir, { releaseName: BASE_RELEASE, service: 'kustomize' })) as K8sObject[];
    expect(built.map((o) => o.kind).sort()).toEqual(chart.map((o) => o.kind).sort());
    // The generator adds a hash to the ConfigMap's name and rewrites the reference; everything else is the chart's.
    const cmName = gw.configMap.metadata.name;
    expect(cmName).toMatch(new RegExp(`^${BASE_RELEASE}-[a-z0-9]{10}$`));
    const chartCm = one(chart, 'ConfigMap') as K8sObject & { data: Record<string, string> };
    expect(gw.configMap.data).toEqual(chartCm.data);
    expect(gw.configMap.metadata.labels).toEqual(chartCm.metadata.labels);
    for (const o of chart.filter((c) => c.kind !== 'ConfigMap')) {
      const twin = built.find((b) => b.kind === o.kind && b.metadata.name === o.metadata.name);
      const normalised = JSON.parse(JSON.stringify(twin).replaceAll(`"${cmName}"`, `"${BASE_RELEASE}"`)) as K8sObject;
      expect(normalised, `${o.kind}/${o.metadata.name}`).toEqual(o);
    }
  });

  it.skipIf(!hasKubectl)("deploy/README.md's overlay: namespace, image, replicas, generated Secret and ConfigMap wired in", () => {
    const readme = readFileSync(join(repoRoot, 'deploy/README.md'), 'utf8');
    const block = (file: string) => {
      const m = readme.match(new RegExp('```(?:yaml|sh)\\n# my-gateway/' + file.replace('.', '\\.') + '[^\\n]*\\n([\\s\\S]*?)```'));
      if (!m) throw new Error(`deploy/README.md has no my-gateway/${file} block`);
      return m[1]!;
    };
    const dir = mkdtempSync(join(tmpdir(), 'gw-overlay-'));
    tmpDirs.push(dir);
    const kustomization = block('kustomization.yaml');
    expect(kustomization).toContain('  - ../mcp-agent-gateway/deploy/k8s\n');
    writeFileSync(join(dir, 'kustomization.yaml'), kustomization.replace('../mcp-agent-gateway/deploy/k8s', relative(dir, k8sDir)));
    writeFileSync(join(dir, 'gateway.yaml'), block('gateway.yaml'));
    writeFileSync(join(dir, 'gateway.env'), block('gateway.env'));

    const built = kustomize(dir);
    const gw = checkGateway(built);
    for (const o of built) expect(o.metadata, `${o.kind} namespace`).toMatchObject({ namespace: 'ai-gateway' });
    expect((gw.container as unknown as { image: string }).image).toBe('registry.example.com/platform/mcp-agent-gateway:0.1.0');
    expect(gw.workload.spec.replicas).toBe(2);
    const secret = one(built, 'Secret') as K8sObject & { data: Record<string, string> };
    expect(secret.metadata.name).toMatch(/^mcp-agent-gateway-[a-z0-9]{10}$/);
    expect(Object.keys(secret.data).sort()).toEqual(['DATABASE_URL', 'GATEWAY_ADMIN_KEY', 'GATEWAY_AUDIT_SIGNING_KEY', 'OPENAI_API_KEY', 'REDIS_URL']);
    // Every reference to the Secret follows its generated name.
    for (const e of Object.values(gw.env)) if (e.valueFrom?.secretKeyRef) expect(e.valueFrom.secretKeyRef.name).toBe(secret.metadata.name);
    expect(gw.container.envFrom?.[0]?.secretRef?.name).toBe(secret.metadata.name);
    expect(gw.config.providers.openai?.kind).toBe('openai');
  });
});
