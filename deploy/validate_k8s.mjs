// Validates deploy/k8s offline: every document parses as YAML and validates against the
// Kubernetes JSON schema of its kind (npm kubernetes-models: the API's OpenAPI schemas compiled
// with ajv; they check types, enums and required fields, not unknown field names), and the
// manifests agree with each other and with the server: selectors match the pod labels, the
// probes use tachyon's real /health and /ready routes, the autoscaler's metric is one the server
// exports, every secret key the pods read is in the example Secret, and the grace period covers
// the drain. Run by deploy/check.sh (`node validate_k8s.mjs [DIR]`, DIR default deploy/k8s); prints one line per problem and exits 1 if there are any.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';

const here = path.dirname(fileURLToPath(import.meta.url));
const repo = path.dirname(here);
const k8sDir = process.argv[2] ?? path.join(here, 'k8s');  // another folder: to test this script
const problems = [];
const problem = (where, text) => problems.push(`${where}: ${text}`);

// Every document of every manifest, with the file it came from.
const docs = [];
for (const file of fs.readdirSync(k8sDir).filter((f) => f.endsWith('.yaml')).sort()) {
  const parsed = parseAllDocuments(fs.readFileSync(path.join(k8sDir, file), 'utf8'));
  for (const doc of parsed) {
    for (const e of doc.errors) problem(file, `YAML: ${e.message}`);
    const value = doc.toJS();
    if (value) docs.push({ file, value });
  }
}

// Schema validation by apiVersion and kind ("v1" is the core group).
for (const { file, value } of docs) {
  const where = `${file} ${value.kind}/${value.metadata?.name}`;
  if (!value.apiVersion || !value.kind) {
    problem(file, 'a document without apiVersion or kind');
    continue;
  }
  if (value.kind === 'Kustomization') {
    for (const r of value.resources ?? [])
      if (!fs.existsSync(path.join(k8sDir, r))) problem(where, `resource ${r} does not exist`);
    continue;
  }
  let Model;
  try {
    Model = (await import(`kubernetes-models/${value.apiVersion}/${value.kind}`))[value.kind];
  } catch {
    problem(where, `no schema for ${value.apiVersion} ${value.kind}`);
    continue;
  }
  try {
    new Model(value).validate();
  } catch (e) {
    problem(where, `schema: ${e.message}`);
  }
}

const of = (kind) => docs.filter((d) => d.value.kind === kind).map((d) => d.value);
const subset = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
const source = (file) => fs.readFileSync(path.join(repo, file), 'utf8');

const secretKeys = new Map();  // secret name -> its keys
for (const s of of('Secret')) secretKeys.set(s.metadata.name, new Set(Object.keys({ ...s.data, ...s.stringData })));
const routes = source('src/api/routes.cpp');
const metricNames = new Set([...source('src/api/server_metrics.cpp').matchAll(/Name\("([a-z_]+)"\)/g)].map((m) => m[1]));
const serveSource = source('src/app/cmd_serve.cpp');

const deployments = of('Deployment');
if (deployments.length !== 1) problem('k8s', `expected one Deployment, found ${deployments.length}`);
for (const d of deployments) {
  const where = `Deployment/${d.metadata.name}`;
  const pod = d.spec.template;
  const podLabels = pod.metadata?.labels;
  if (!subset(d.spec.selector?.matchLabels, podLabels)) problem(where, 'selector does not match the pod labels');
  for (const s of of('Service'))
    if (!subset(s.spec.selector, podLabels) || !s.spec.selector) problem(`Service/${s.metadata.name}`, 'selector matches no tachyon pod');
  for (const p of of('PodDisruptionBudget'))
    if (!subset(p.spec.selector?.matchLabels, podLabels)) problem(`PodDisruptionBudget/${p.metadata.name}`, 'selector matches no tachyon pod');

  const container = pod.spec.containers.find((c) => c.name === 'tachyon');
  if (!container) {
    problem(where, 'no container named tachyon');
    continue;
  }
  const portNames = new Set((container.ports ?? []).map((p) => p.name));
  for (const s of of('Service'))
    for (const p of s.spec.ports)
      if (typeof p.targetPort === 'string' && !portNames.has(p.targetPort))
        problem(`Service/${s.metadata.name}`, `targetPort ${p.targetPort} is not a container port`);

  const probes = { livenessProbe: '/health', readinessProbe: '/ready', startupProbe: '/health' };
  for (const [probe, expected] of Object.entries(probes)) {
    const get = container[probe]?.httpGet;
    if (!get) {
      problem(where, `${probe} is missing`);
      continue;
    }
    if (get.path !== expected) problem(where, `${probe} should ask ${expected}, not ${get.path}`);
    if (!routes.includes(`router.get("${get.path}"`)) problem(where, `${probe}: the server has no route GET ${get.path}`);
    if (typeof get.port === 'string' && !portNames.has(get.port)) problem(where, `${probe}: port ${get.port} is not a container port`);
  }
  if (!container.lifecycle?.preStop) problem(where, 'no preStop hook: new requests may arrive after SIGTERM');
  if (!container.resources?.requests || !container.resources?.limits) problem(where, 'resource requests and limits are required');

  // Secrets the pod reads exist in the example Secret; the variables are ones the server reads.
  for (const e of container.env ?? []) {
    const ref = e.valueFrom?.secretKeyRef;
    if (ref && !secretKeys.get(ref.name)?.has(ref.key))
      problem(where, `env ${e.name} reads key ${ref.key} of Secret ${ref.name}, which the example Secret lacks`);
    if (e.name.startsWith('TACHYON_') && !fs.readdirSync(path.join(repo, 'src/app')).some((f) => source(`src/app/${f}`).includes(`"${e.name}"`)))
      console.log(`note: ${where}: ${e.name} is not read by this source tree's serve command`);
  }

  // The grace period covers preStop, the drain and closing connections.
  const args = container.args ?? [];
  const grace = Number((args.find((a) => a.startsWith('--shutdown-grace=')) ?? '--shutdown-grace=30').split('=')[1]);
  const sleep = Number(container.lifecycle?.preStop?.exec?.command?.at(-1) ?? 0);
  const period = pod.spec.terminationGracePeriodSeconds ?? 30;
  if (period < sleep + grace + 2) problem(where, `terminationGracePeriodSeconds ${period} < preStop ${sleep} s + drain ${grace} s + 2 s`);
  for (const a of args) {
    const flag = a.split('=')[0];
    if (flag.startsWith('--') && !serveSource.includes(`"${flag}"`) && !serveSource.includes(`,${flag}"`))
      problem(where, `serve has no flag ${flag}`);
  }
}

for (const h of of('HorizontalPodAutoscaler')) {
  const where = `HorizontalPodAutoscaler/${h.metadata.name}`;
  const target = h.spec.scaleTargetRef;
  if (!deployments.some((d) => target.kind === 'Deployment' && d.metadata.name === target.name))
    problem(where, `scaleTargetRef ${target.kind}/${target.name} is not in the manifests`);
  for (const m of h.spec.metrics ?? []) {
    const name = m.pods?.metric?.name ?? m.object?.metric?.name ?? m.external?.metric?.name;
    if (name && !metricNames.has(name)) problem(where, `the server exports no metric ${name}`);
  }
}

for (const p of problems) console.log(`problem: ${p}`);
console.log(`k8s manifests: ${docs.length} documents, ${problems.length} problems`);
process.exit(problems.length ? 1 : 0);
