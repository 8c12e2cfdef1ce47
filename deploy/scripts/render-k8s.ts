// Regenerates deploy/k8s (a kustomize base) from the Helm chart's defaults: `npx tsx deploy/scripts/render-k8s.ts [--check]`.
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { renderChart } from './helm/helm-chart.js';

export const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
export const chartDir = join(repoRoot, 'deploy/helm');
export const k8sDir = join(repoRoot, 'deploy/k8s');
/** The release the plain manifests stand for: the full name is then just the chart's name. */
export const BASE_RELEASE = 'mcp-agent-gateway';

const HEADER = [
  '# Generated from deploy/helm with its default values by `npx tsx deploy/scripts/render-k8s.ts`: change the chart',
  '# and regenerate (test/deploy/k8s-manifests.test.ts fails when this file drifts). Customise with an overlay.',
].join('\n');

/** File name in deploy/k8s for a chart template: the workload by its kind, the rest as the chart names them. */
function fileFor(templatePath: string, kind: string): string {
  return templatePath === 'templates/workload.yaml' ? `${kind.toLowerCase()}.yaml` : templatePath.replace(/^templates\//, '');
}

/** The files deploy/k8s should hold, by name: one per rendered object, gateway.yaml and kustomization.yaml. */
export function k8sBaseFiles(): Map<string, string> {
  const rendered = renderChart(chartDir, { releaseName: BASE_RELEASE, service: 'kustomize' });
  const files = new Map<string, string>();
  const resources: string[] = [];
  let configMap: { name: string; labels: unknown; gatewayYaml: string } | null = null;
  for (const t of rendered.templates) {
    if (t.objects.length === 0) continue;
    if (t.objects.length !== 1) throw new Error(`${t.path}: expected one object, got ${t.objects.length}`);
    const obj = t.objects[0]!;
    const meta = obj.metadata as { name: string; labels: unknown };
    if (obj.kind === 'ConfigMap') {
      // A configMapGenerator instead: its name hash rolls the pods when an overlay changes gateway.yaml.
      configMap = { name: meta.name, labels: meta.labels, gatewayYaml: (obj.data as Record<string, string>)['gateway.yaml']! };
      continue;
    }
    const name = fileFor(t.path, String(obj.kind));
    files.set(name, `${HEADER}\n${t.text.replace(/^\s*\n/, '')}`);
    resources.push(name);
  }
  if (!configMap) throw new Error('the chart rendered no ConfigMap');
  files.set('gateway.yaml', configMap.gatewayYaml);
  const kustomization = {
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources,
    // gateway.yaml is the chart's .Values.config; the generator's name hash rolls the pods when an overlay replaces it
    // (the pods' checksum/config annotation is the chart's, for Helm).
    configMapGenerator: [{ name: configMap.name, files: ['gateway.yaml'], options: { labels: configMap.labels } }],
  };
  files.set('kustomization.yaml', `${HEADER}\n${stringify(kustomization, { lineWidth: 0 })}`);
  return files;
}

/** The files deploy/k8s holds now. */
export function currentBaseFiles(): string[] {
  return readdirSync(k8sDir, { withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => e.name)
    .sort();
}

function main(): void {
  const check = process.argv.includes('--check');
  const want = k8sBaseFiles();
  mkdirSync(k8sDir, { recursive: true });
  const stale = currentBaseFiles().filter((f) => !want.has(f));
  const changed = [...want].filter(([f, text]) => {
    try {
      return readFileSync(join(k8sDir, f), 'utf8') !== text;
    } catch {
      return true;
    }
  });
  if (check) {
    for (const f of [...stale, ...changed.map(([f]) => f)]) process.stderr.write(`deploy/k8s/${f} is out of date\n`);
    process.exit(stale.length + changed.length ? 1 : 0);
  }
  for (const f of stale) rmSync(join(k8sDir, f));
  for (const [f, text] of changed) writeFileSync(join(k8sDir, f), text);
  process.stdout.write(`deploy/k8s: ${changed.length} file(s) written, ${stale.length} removed\n`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
