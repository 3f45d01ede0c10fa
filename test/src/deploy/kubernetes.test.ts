/**
 * deploy/k8s validated offline: every object against its Kubernetes schema (kubernetes-models, with the KEDA
 * and Prometheus Operator CRDs), the production overlay applied and validated too, and the fields that
 * must agree with the code: probe paths the worker and API serve, ports, the grace period against the drain
 * deadline, Secrets that exist, and a ScaledObject query over a metric the catalogue defines.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ScaledObject } from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { METRIC_NAMES, QUEUE_STATES } from '@pushfleet/metrics';
import { OPS_PATHS, SHUTDOWN_DEADLINE_MS } from '@pushfleet/worker';
import { Deployment } from 'kubernetes-models/apps/v1';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Secret, Service } from 'kubernetes-models/v1';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { readText, readYaml, repoPath, seriesIn } from './deploy-files.js';

type Manifest = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  // biome-ignore lint/suspicious/noExplicitAny: manifests are untyped YAML until a model checks them
  [k: string]: any;
};

const MODELS: Record<string, new (m: never) => { validate(): void }> = {
  'apps/v1/Deployment': Deployment,
  'v1/Service': Service,
  'v1/Secret': Secret,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'keda.sh/v1alpha1/ScaledObject': ScaledObject,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
};

const BASE = 'deploy/k8s/base';
const OVERLAY = 'deploy/k8s/overlays/production';

function load(file: string): Manifest[] {
  return parseAllDocuments(readText(file)).map((d) => d.toJSON() as Manifest);
}

const kustomization = readYaml<{ resources: string[] }>(`${BASE}/kustomization.yaml`);
const base = kustomization.resources.flatMap((r) => load(`${BASE}/${r}`));
const get = (kind: string, name: string) => {
  const m = base.find((x) => x.kind === kind && x.metadata.name === name);
  if (!m) throw new Error(`no ${kind} ${name} in ${BASE}`);
  return m;
};
const validate = (m: Manifest) => {
  const Model = MODELS[`${m.apiVersion}/${m.kind}`];
  if (!Model) throw new Error(`no schema for ${m.apiVersion} ${m.kind}`);
  new Model(m as never).validate();
};

/** A JSON patch (RFC 6902) of `replace` and `add` ops, enough for the overlay's patches. */
function applyPatch(target: Manifest, ops: { op: string; path: string; value: unknown }[]): Manifest {
  const copy = structuredClone(target);
  for (const { op, path, value } of ops) {
    if (op !== 'replace' && op !== 'add') throw new Error(`unsupported patch op ${op}`);
    const keys = path.split('/').slice(1);
    let node = copy as Record<string, unknown>;
    for (const k of keys.slice(0, -1)) node = node[k] as Record<string, unknown>;
    const last = keys.at(-1)!;
    if (op === 'replace' && !(last in node)) throw new Error(`${path}: nothing to replace`);
    node[last] = value;
  }
  return copy;
}

const worker = get('Deployment', 'pushfleet-worker');
const workerPod = worker.spec.template;
const workerContainer = workerPod.spec.containers[0];
const env = (c: Manifest, name: string) =>
  (c.env as { name: string; value?: string }[]).find((e) => e.name === name)?.value;
const portNamed = (c: Manifest, name: string) =>
  (c.ports as { name: string; containerPort: number }[]).find((p) => p.name === name)?.containerPort;

describe('deploy/k8s schemas', () => {
  it('lists every manifest in the kustomization, and every one validates against its schema', () => {
    expect(
      readdirSync(repoPath(BASE))
        .filter((f) => f !== 'kustomization.yaml')
        .sort(),
    ).toEqual([...kustomization.resources].sort());
    expect(base.map((m) => m.kind).sort()).toEqual(
      [
        'Deployment',
        'Deployment',
        'PodDisruptionBudget',
        'ScaledObject',
        'Secret',
        'Secret',
        'Service',
        'Service',
        'ServiceMonitor',
      ].sort(),
    );
    for (const m of base) expect(() => validate(m), `${m.kind} ${m.metadata.name}`).not.toThrow();
  });

  it('rejects what the schema forbids (the validation is real)', () => {
    const broken = structuredClone(worker);
    broken.spec.template.spec.containers[0].ports[0].containerPort = 'metrics';
    expect(() => validate(broken)).toThrow(/containerPort/);
    const noQuery = structuredClone(get('ScaledObject', 'pushfleet-worker'));
    noQuery.spec.triggers[0].metadata = 'query';
    expect(() => validate(noQuery)).toThrow();
  });

  it('applies the production overlay to objects of the base, and the results validate', () => {
    const overlay = readYaml<{
      resources: string[];
      patches: { path: string; target: { kind: string; name: string } }[];
      images: { name: string }[];
    }>(`${OVERLAY}/kustomization.yaml`);
    expect(overlay.resources).toEqual(['../../base']);
    expect(overlay.images.map((i) => i.name)).toEqual([workerContainer.image.split(':')[0]]);
    for (const p of overlay.patches) {
      const patched = applyPatch(get(p.target.kind, p.target.name), readYaml(join(OVERLAY, p.path)));
      expect(() => validate(patched), p.path).not.toThrow();
    }
  });
});

describe('deploy/k8s against the code', () => {
  it('probes the worker where it answers: readiness /readyz, liveness /healthz, on its metrics port', () => {
    expect(workerContainer.readinessProbe.httpGet.path).toBe(OPS_PATHS.ready);
    expect(workerContainer.livenessProbe.httpGet.path).toBe(OPS_PATHS.health);
    const ops = readText('apps/worker/src/ops-server.ts');
    expect(ops).toContain(`ready: '${OPS_PATHS.ready}'`);
    expect(workerContainer.readinessProbe.httpGet.port).toBe('metrics');
    expect(String(portNamed(workerContainer, 'metrics'))).toBe(
      env(workerContainer, 'PUSHFLEET_METRICS_PORT'),
    );
    expect(env(workerContainer, 'PUSHFLEET_METRICS_HOST')).toBe('0.0.0.0');
  });

  it('gives a worker longer to stop than its shutdown deadline, and sets its resources', () => {
    expect(workerPod.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(SHUTDOWN_DEADLINE_MS);
    for (const c of [workerContainer, get('Deployment', 'pushfleet-api').spec.template.spec.containers[0]]) {
      expect(c.resources.requests.cpu).toBeDefined();
      expect(c.resources.requests.memory).toBeDefined();
      expect(c.resources.limits.memory).toBeDefined();
    }
  });

  it('runs the commands of the built image as a non-root user', () => {
    for (const d of base.filter((m) => m.kind === 'Deployment')) {
      const c = d.spec.template.spec.containers[0];
      expect(c.command[0]).toBe('node');
      expect(readdirSync(repoPath(c.command[1].split('/').slice(0, -1).join('/')))).toContain('main.js');
      expect(d.spec.template.spec.securityContext.runAsNonRoot).toBe(true);
    }
  });

  it('selects the worker pods from the PDB, the Service and the ServiceMonitor, on matching ports', () => {
    const podLabels = workerPod.metadata.labels;
    const pdb = get('PodDisruptionBudget', 'pushfleet-worker');
    expect(pdb.spec.selector.matchLabels).toEqual(podLabels);
    expect(worker.spec.selector.matchLabels).toEqual(podLabels);
    const svc = get('Service', 'pushfleet-worker');
    expect(svc.spec.selector).toEqual(podLabels);
    expect(svc.spec.ports[0].targetPort).toBe('metrics');
    expect(svc.spec.ports[0].port).toBe(portNamed(workerContainer, 'metrics'));
    const sm = get('ServiceMonitor', 'pushfleet-worker');
    for (const [k, v] of Object.entries(sm.spec.selector.matchLabels))
      expect(svc.metadata.labels?.[k]).toBe(v);
    expect(sm.spec.endpoints[0].port).toBe(svc.spec.ports[0].name);
    expect(sm.spec.endpoints[0].path).toBe(OPS_PATHS.metrics);
    // The alert rules select job="pushfleet-worker": the operator names the job after the Service.
    expect(svc.metadata.name).toBe('pushfleet-worker');
    expect(readText('deploy/prometheus/rules/pushfleet-alerts.yaml')).toContain('job="pushfleet-worker"');
  });

  it('scales the worker Deployment with KEDA on the queue-depth metric of the catalogue (Prometheus trigger)', () => {
    const so = get('ScaledObject', 'pushfleet-worker');
    expect(so.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: worker.metadata.name });
    expect(so.spec.minReplicaCount).toBeGreaterThanOrEqual(1);
    const [trigger] = so.spec.triggers;
    expect(so.spec.triggers).toHaveLength(1);
    expect(trigger.type).toBe('prometheus');
    const query: string = trigger.metadata.query;
    expect(seriesIn(query)).toEqual([METRIC_NAMES.queueJobs]);
    // Every state the query counts is one the worker exports; delayed and prioritized included.
    const states = /state=~"([^"]+)"/.exec(query)![1]!.split('|');
    for (const s of states) expect(QUEUE_STATES).toContain(s);
    expect(states).toEqual(expect.arrayContaining(['waiting', 'delayed', 'prioritized']));
    // A shared fact reported by every worker: max over them, never sum.
    expect(query).toMatch(/max by \(state\)/);
    expect(query).toContain(`app="${env(workerContainer, 'PUSHFLEET_APP')}"`);
    expect(Number(trigger.metadata.threshold)).toBeGreaterThan(0);
  });

  it('serves the API on the port its Service targets, with readiness /readyz and liveness /healthz as it answers them', () => {
    const api = get('Deployment', 'pushfleet-api');
    const c = api.spec.template.spec.containers[0];
    const svc = get('Service', 'pushfleet-api');
    expect(svc.spec.selector).toEqual(api.spec.template.metadata.labels);
    expect(svc.spec.ports[0].targetPort).toBe('http');
    expect(String(portNamed(c, 'http'))).toBe(env(c, 'PUSHFLEET_API_PORT'));
    expect(c.readinessProbe.httpGet.path).toBe('/readyz');
    expect(c.livenessProbe.httpGet.path).toBe('/healthz');
    const routes = readText('apps/api/src/routes/operations.ts');
    expect(routes).toContain("'/readyz'");
    expect(routes).toContain("'/healthz'");
  });

  it('takes credentials from Secrets that exist, with the keys the pods read', () => {
    const secrets = new Map(
      base
        .filter((m) => m.kind === 'Secret')
        .map((s) => [s.metadata.name, Object.keys(s.stringData ?? s.data ?? {})]),
    );
    for (const d of base.filter((m) => m.kind === 'Deployment')) {
      const spec = d.spec.template.spec;
      for (const e of spec.containers[0].env as {
        valueFrom?: { secretKeyRef?: { name: string; key: string } };
      }[]) {
        const ref = e.valueFrom?.secretKeyRef;
        if (ref) expect(secrets.get(ref.name), `${ref.name}/${ref.key}`).toContain(ref.key);
      }
      for (const v of (spec.volumes ?? []) as {
        secret?: { secretName: string; items: { key: string }[] };
      }[]) {
        if (!v.secret) continue;
        for (const item of v.secret.items) expect(secrets.get(v.secret.secretName)).toContain(item.key);
      }
    }
    // The key file path the worker is given is where the Secret volume is mounted.
    const mount = workerContainer.volumeMounts[0];
    expect(env(workerContainer, 'APNS_KEY_FILE')).toBe(`${mount.mountPath}/AuthKey.p8`);
    expect(mount.readOnly).toBe(true);
  });
});
