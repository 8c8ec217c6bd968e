import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Namespace } from 'kubernetes-models/v1/Namespace';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../../src/config';

const root = path.resolve(__dirname, '../../..');
const dir = path.join(root, 'deploy', 'kubernetes');

/** The kinds the manifests use, each with its kubernetes-models class (the API's schemas, compiled in: nothing is downloaded) and TypeScript interface. */
const models = {
  'v1/Namespace': { model: Namespace, type: ['INamespace', 'kubernetes-models/v1/Namespace'] },
  'v1/ConfigMap': { model: ConfigMap, type: ['IConfigMap', 'kubernetes-models/v1/ConfigMap'] },
  'v1/Secret': { model: Secret, type: ['ISecret', 'kubernetes-models/v1/Secret'] },
  'apps/v1/Deployment': { model: Deployment, type: ['IDeployment', 'kubernetes-models/apps/v1/Deployment'] },
  'batch/v1/Job': { model: Job, type: ['IJob', 'kubernetes-models/batch/v1/Job'] },
} as const;
type Kind = keyof typeof models;

interface Manifest {
  file: string;
  kind: Kind;
  // The object as YAML gives it; the tests read what they need.
  doc: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const kustomization = parseAllDocuments(fs.readFileSync(path.join(dir, 'kustomization.yaml'), 'utf8'))[0]!.toJS() as { namespace: string; resources: string[]; images: Array<{ name: string }> };
const manifests: Manifest[] = kustomization.resources.flatMap((file) =>
  parseAllDocuments(fs.readFileSync(path.join(dir, file), 'utf8')).map((document) => {
    expect(document.errors, file).toEqual([]);
    const doc = document.toJS();
    return { file, kind: `${doc.apiVersion}/${doc.kind}` as Kind, doc };
  }),
);
const ofKind = (kind: Kind) => manifests.filter((m) => m.kind === kind);
const deployment = (name: string) => ofKind('apps/v1/Deployment').find((m) => m.doc.metadata.name === name)!.doc;
const configMap = ofKind('v1/ConfigMap')[0]!.doc;
const secret = ofKind('v1/Secret')[0]!.doc;

/** What a container's process reads: its ConfigMap and Secret, then its own `env` (values only). */
function containerEnvironment(container: any): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef) Object.assign(env, ofKind('v1/ConfigMap').find((m) => m.doc.metadata.name === from.configMapRef.name)!.doc.data);
    if (from.secretRef) Object.assign(env, ofKind('v1/Secret').find((m) => m.doc.metadata.name === from.secretRef.name)!.doc.stringData);
  }
  for (const variable of container.env ?? []) env[variable.name] = variable.value ?? `from ${variable.valueFrom?.fieldRef?.fieldPath}`;
  return env;
}

describe('the Kubernetes manifests (deploy/kubernetes), checked offline', () => {
  it('are every file kustomization.yaml lists, and it lists every manifest', () => {
    const files = fs.readdirSync(dir).filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml');
    expect([...kustomization.resources].sort()).toEqual(files.sort());
    expect(manifests.map((m) => m.kind).every((kind) => kind in models)).toBe(true);
    for (const { doc } of manifests) if (doc.kind !== 'Namespace') expect(doc.metadata.namespace, doc.metadata.name).toBe(kustomization.namespace);
  });

  it('validate against the Kubernetes API’s schemas (kubernetes-models), which do refuse a bad one', () => {
    for (const { file, kind, doc } of manifests) expect(() => new models[kind].model(doc).validate(), file).not.toThrow();
    const broken = structuredClone(deployment('vigil-worker'));
    broken.spec.replicas = 'two';
    delete broken.spec.template.spec.containers[0].readinessProbe.httpGet.port;
    expect(() => new Deployment(broken).validate()).toThrow(/replicas must be integer|must have required property 'port'/);
  });

  it('name no field the API does not know (type-checked against kubernetes-models’ interfaces: a typo is an error)', () => {
    // Each object as a literal of its kind's interface: TypeScript refuses properties it does not declare.
    fs.mkdirSync(path.join(root, 'test-results'), { recursive: true });
    const scratch = fs.mkdtempSync(path.join(root, 'test-results', 'k8s-'));
    try {
      const files = manifests.map(({ kind, doc }, index) => {
        const [type, module] = models[kind].type;
        const file = path.join(scratch, `manifest-${index}.ts`);
        fs.writeFileSync(file, `import type { ${type} } from '${module}';\nexport const manifest: ${type} = ${JSON.stringify(doc, null, 2)};\n`);
        return file;
      });
      const typo = path.join(scratch, 'typo.ts');
      const misspelt = structuredClone(deployment('vigil-ingest'));
      misspelt.spec.template.spec.containers[0].readinessprobe = misspelt.spec.template.spec.containers[0].readinessProbe;
      fs.writeFileSync(typo, `import type { IDeployment } from 'kubernetes-models/apps/v1/Deployment';\nexport const manifest: IDeployment = ${JSON.stringify(misspelt)};\n`);
      const program = ts.createProgram([...files, typo], { strict: true, noEmit: true, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10, skipLibCheck: true, types: [] });
      const errors = ts.getPreEmitDiagnostics(program).map((d) => `${path.basename(d.file?.fileName ?? '')}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
      expect(errors.filter((error) => !error.startsWith('typo.ts'))).toEqual([]);
      expect(errors.some((error) => error.startsWith('typo.ts') && error.includes('"readinessprobe"\' does not exist in type \'IContainer\'')), errors.join('; ')).toBe(true);
    } finally {
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });

  it('run workers and ingests as Deployments, ready when their /readyz says so, alive while /healthz answers, on the port their configuration serves', () => {
    for (const [name, command, portVariable] of [
      ['vigil-worker', 'worker', 'workerPort'],
      ['vigil-ingest', 'ingest', 'ingestPort'],
      ['vigil-sink', 'sink', 'sinkPort'],
    ] as const) {
      const spec = deployment(name).spec;
      expect(spec.selector.matchLabels, name).toEqual({ 'app.kubernetes.io/name': name });
      expect(spec.template.metadata.labels).toMatchObject(spec.selector.matchLabels);
      const [container] = spec.template.spec.containers;
      expect(container.args).toEqual([command]);
      expect(container.image).toBe(kustomization.images[0]!.name);
      const config = loadConfig(containerEnvironment(container));
      const metricsPort = container.ports.find((port: { name: string }) => port.name === 'metrics').containerPort;
      expect(config.metrics[portVariable], `${name} serves its metrics on the probed port`).toBe(metricsPort);
      expect(config.metrics.host, 'the probes reach the pod’s address').toBe('0.0.0.0');
      expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
      expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    }
    expect(deployment('vigil-worker').spec.replicas).toBeGreaterThanOrEqual(2);
    expect(deployment('vigil-ingest').spec.replicas).toBeGreaterThanOrEqual(2);
  });

  it('configure every process from the ConfigMap and the Secret, with a shared model store and no shared disk', () => {
    const containers = [...ofKind('apps/v1/Deployment'), ...ofKind('batch/v1/Job')].map((m) => m.doc.spec.template.spec.containers[0]);
    for (const container of containers) {
      expect(container.envFrom).toEqual([{ configMapRef: { name: configMap.metadata.name } }, { secretRef: { name: secret.metadata.name } }]);
      const config = loadConfig(containerEnvironment(container));
      expect(config.temporal.managed || config.kafka.managed || config.postgres.managed, 'every server is named, none local').toBe(false);
      expect(config.modelStore.location.kind).not.toBe('file');
    }
    // Passwords only in the Secret.
    expect(JSON.stringify(configMap.data)).not.toMatch(/password|:[^/@]+@/i);
    expect(secret.stringData.DATABASE_URL).toMatch(/^postgres:\/\/[^:]+:[^@]+@/);
    const worker = deployment('vigil-worker').spec.template.spec;
    expect(worker.containers[0].env).toContainEqual({ name: 'VIGIL_WORKER_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } });
    expect(worker.volumes).toEqual([{ name: 'model-cache', emptyDir: { sizeLimit: '2Gi' } }]);
    expect(loadConfig(containerEnvironment(worker.containers[0])).modelStore.cacheDir).toBe(worker.containers[0].volumeMounts[0].mountPath);
    // The setup job: `services up` against the named servers.
    expect(ofKind('batch/v1/Job')[0]!.doc.spec.template.spec.containers[0].args).toEqual(['services', 'up']);
  });
});
