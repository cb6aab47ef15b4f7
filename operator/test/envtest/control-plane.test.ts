// Smoke tests of the test control plane (control-plane.ts) against the real binaries.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

import {
  ApiException,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  RbacAuthorizationV1Api,
  VersionApi,
  Watch,
  makeInformer,
  type V1ConfigMap,
  type V1CustomResourceDefinition,
  type V1Secret,
} from '@kubernetes/client-node';

import {
  installCustomResourceDefinitions,
  setupSharedControlPlane,
  sharedControlPlane,
  startControlPlane,
  teardownSharedControlPlane,
  writeKubeConfig,
  type ControlPlane,
} from './control-plane.js';

const START_TIMEOUT = 180_000;
/** Generous: a loaded 2-core machine is slow, and speed is the benchmarks' business. */
const API_TIMEOUT = 30_000;

/** The release pinned by the Go module that `make envtest-assets` builds. */
function pinnedKubernetesVersion(): string {
  const goMod = readFileSync(
    fileURLToPath(new URL('../../../hack/kubernetes/go.mod', import.meta.url)),
    'utf8',
  );
  const version = /^\s*k8s\.io\/kubernetes (v\S+)/m.exec(goMod)?.[1];
  if (!version) throw new Error('hack/kubernetes/go.mod pins no k8s.io/kubernetes');
  return version;
}

/** Pids of the processes whose command line contains `text` (e.g. a work directory). */
async function processesMentioning(text: string): Promise<number[]> {
  const pids: number[] = [];
  for (const entry of await readdir('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const commandLine = await readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
    if (commandLine.includes(text)) pids.push(Number(entry));
  }
  return pids;
}

/** The program names of those processes, e.g. `etcd`, `kube-apiserver`, `bash`. */
async function programsMentioning(text: string): Promise<string[]> {
  const names = await Promise.all(
    (await processesMentioning(text)).map((pid) =>
      readFile(`/proc/${pid}/comm`, 'utf8').then(
        (name) => name.trim(),
        () => '',
      ),
    ),
  );
  return [...new Set(names.filter((name) => name !== ''))].sort();
}

/** Waits (bounded) until no process mentions `workDir` and the directory is gone. */
async function expectCleanedUp(workDir: string): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if ((await processesMentioning(workDir)).length === 0 && !existsSync(workDir)) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  expect(await processesMentioning(workDir)).toEqual([]);
  expect(existsSync(workDir)).toBe(false);
}

/** The HTTP status and the Status message of a refused API call. */
async function refusal(call: Promise<unknown>): Promise<{ code: number; message: string }> {
  try {
    await call;
  } catch (error) {
    if (!(error instanceof ApiException)) throw error;
    const body: unknown =
      typeof error.body === 'string' ? JSON.parse(error.body || '{}') : error.body;
    const message = (body as { message?: unknown } | undefined)?.message;
    return { code: error.code, message: typeof message === 'string' ? message : '' };
  }
  throw new Error('the API server accepted the call');
}

function restoreVariable(name: string, value: string | undefined): void {
  if (value === undefined) delete process.env[name];
  else process.env[name] = value;
}

const widgetCrd: V1CustomResourceDefinition = {
  apiVersion: 'apiextensions.k8s.io/v1',
  kind: 'CustomResourceDefinition',
  metadata: { name: 'widgets.envtest.notejam.io' },
  spec: {
    group: 'envtest.notejam.io',
    names: { kind: 'Widget', plural: 'widgets', singular: 'widget', listKind: 'WidgetList' },
    scope: 'Namespaced',
    versions: [
      {
        name: 'v1',
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: 'object',
            properties: {
              spec: {
                type: 'object',
                required: ['minReplicas', 'maxReplicas'],
                properties: {
                  minReplicas: { type: 'integer', minimum: 1 },
                  maxReplicas: { type: 'integer', maximum: 10 },
                },
                // client-node's model spells the extensions x_kubernetes_*; it writes them
                // out as x-kubernetes-* (see installCustomResourceDefinitions).
                x_kubernetes_validations: [
                  {
                    rule: 'self.minReplicas <= self.maxReplicas',
                    message: 'minReplicas must not exceed maxReplicas',
                  },
                ],
              },
            },
          },
        },
      },
    ],
  },
};

function widget(name: string, minReplicas: number, maxReplicas: number) {
  return {
    apiVersion: 'envtest.notejam.io/v1',
    kind: 'Widget',
    metadata: { name },
    spec: { minReplicas, maxReplicas },
  };
}

describe('test control plane', () => {
  let plane: ControlPlane;
  let admin: KubeConfig;
  let core: CoreV1Api;

  beforeAll(async () => {
    plane = await startControlPlane();
    admin = plane.admin();
    core = admin.makeApiClient(CoreV1Api);
  }, START_TIMEOUT);

  afterAll(async () => {
    await plane?.stop();
  }, API_TIMEOUT);

  it(
    'serves the Kubernetes release it was built from',
    async () => {
      const served = await admin.makeApiClient(VersionApi).getCode();
      expect(served.gitVersion).toBe(plane.version);
      // Our own build is stamped with the pinned release; other binaries are what they are.
      if (!process.env.KUBEBUILDER_ASSETS) expect(plane.version).toBe(pinnedKubernetesVersion());
      expect(plane.server).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
    },
    API_TIMEOUT,
  );

  it(
    'creates a namespace and a CRD, and serves custom objects',
    async () => {
      await core.createNamespace({ body: { metadata: { name: 'smoke-crd' } } });
      await installCustomResourceDefinitions(admin, [widgetCrd]);
      const objects = admin.makeApiClient(CustomObjectsApi);
      const coordinates = { group: 'envtest.notejam.io', version: 'v1', namespace: 'smoke-crd' };

      await objects.createNamespacedCustomObject({
        ...coordinates,
        plural: 'widgets',
        body: widget('fine', 2, 5),
      });
      const served = (await objects.getNamespacedCustomObject({
        ...coordinates,
        plural: 'widgets',
        name: 'fine',
      })) as ReturnType<typeof widget>;

      expect(served.spec).toEqual({ minReplicas: 2, maxReplicas: 5 });
    },
    API_TIMEOUT,
  );

  it(
    'refuses CRDs in the wire spelling, whose CEL rules client-node would drop',
    async () => {
      const wireSpelled = JSON.parse(
        JSON.stringify(widgetCrd).replaceAll('x_kubernetes_', 'x-kubernetes-'),
      ) as V1CustomResourceDefinition;
      await expect(installCustomResourceDefinitions(admin, [wireSpelled])).rejects.toThrow(
        '"x-kubernetes-validations" is the wire spelling',
      );
    },
    API_TIMEOUT,
  );

  it(
    "refuses objects breaking the CRD's OpenAPI and CEL rules, with the rule's message",
    async () => {
      await installCustomResourceDefinitions(admin, [widgetCrd]); // idempotent
      const objects = admin.makeApiClient(CustomObjectsApi);
      const create = (body: ReturnType<typeof widget>) =>
        objects.createNamespacedCustomObject({
          group: 'envtest.notejam.io',
          version: 'v1',
          namespace: 'default',
          plural: 'widgets',
          body,
        });

      const openApi = await refusal(create(widget('too-many', 1, 11)));
      expect(openApi.code).toBe(422);
      expect(openApi.message).toContain('spec.maxReplicas');
      expect(openApi.message).toContain('should be less than or equal to 10');

      const cel = await refusal(create(widget('inverted', 4, 2)));
      expect(cel.code).toBe(422);
      expect(cel.message).toContain('minReplicas must not exceed maxReplicas');
    },
    API_TIMEOUT,
  );

  it(
    'gives a restricted identity what its rules allow and refuses the rest',
    async () => {
      await core.createNamespace({ body: { metadata: { name: 'smoke-rbac' } } });
      await core.createNamespacedConfigMap({
        namespace: 'smoke-rbac',
        body: { metadata: { name: 'settings' }, data: { a: '1' } },
      });
      const reader = (
        await plane.kubeConfigFor({
          name: 'configmap-reader',
          clusterRoleRules: [
            { apiGroups: [''], resources: ['configmaps'], verbs: ['get', 'list'] },
          ],
        })
      ).makeApiClient(CoreV1Api);

      const listed = await reader.listNamespacedConfigMap({ namespace: 'smoke-rbac' });
      expect(listed.items.map((item) => item.metadata?.name)).toEqual(['settings']);

      const write = await refusal(
        reader.createNamespacedConfigMap({
          namespace: 'smoke-rbac',
          body: { metadata: { name: 'sneaky' } },
        }),
      );
      expect(write.code).toBe(403);
      expect(write.message).toContain(
        'User "system:serviceaccount:envtest-identities:configmap-reader" cannot create resource "configmaps"',
      );
      expect((await refusal(reader.listNamespacedSecret({ namespace: 'smoke-rbac' }))).code).toBe(
        403,
      );
    },
    API_TIMEOUT,
  );

  it(
    'binds an existing ClusterRole by name, in a namespace of choice',
    async () => {
      await admin.makeApiClient(RbacAuthorizationV1Api).createClusterRole({
        body: {
          metadata: { name: 'smoke-secret-reader' },
          rules: [{ apiGroups: [''], resources: ['secrets'], verbs: ['list'] }],
        },
      });
      const kc = await plane.kubeConfigFor({
        name: 'secret-reader',
        namespace: 'smoke-identities',
        clusterRoleName: 'smoke-secret-reader',
      });
      const secretReader = kc.makeApiClient(CoreV1Api);

      await expect(secretReader.listNamespacedSecret({ namespace: 'default' })).resolves.toEqual(
        expect.objectContaining({ items: [] }),
      );
      expect(
        (await refusal(secretReader.listNamespacedConfigMap({ namespace: 'default' }))).code,
      ).toBe(403);
      await expect(
        plane.kubeConfigFor({ name: 'orphan', clusterRoleName: 'no-such-role' }),
      ).rejects.toThrow('ClusterRole no-such-role cannot be read');
    },
    API_TIMEOUT,
  );

  it(
    'writes kubeconfig files that kubectl-style clients can load',
    async () => {
      const path = writeKubeConfig(admin, plane.workDir);
      const loaded = new KubeConfig();
      loaded.loadFromFile(path);
      const namespaces = await loaded.makeApiClient(CoreV1Api).listNamespace();
      expect(namespaces.items.map((ns) => ns.metadata?.name)).toContain('default');
    },
    API_TIMEOUT,
  );

  // client-node 2.0.0 aborted every watch 30 s after it started, events or not. 2.0.1 ends a
  // watch only after 30 s without data (Watch.requestTimeoutMs), and its informers then
  // resume from the last resourceVersion. What the operator relies on: events keep flowing
  // past 30 s, a quiet informer still sees the next change, and a quiet raw Watch does end
  // (its users must re-watch).
  it('keeps busy watches and quiet informers alive past the 30 s client timeout', async () => {
    await core.createNamespace({ body: { metadata: { name: 'smoke-watch' } } });
    const namespace = 'smoke-watch';
    const seen: string[] = [];
    let watchEnded: unknown = undefined;
    const busyWatch = await new Watch(admin).watch(
      `/api/v1/namespaces/${namespace}/configmaps`,
      {},
      (phase: string, object: V1ConfigMap) => seen.push(`${phase} ${object.data?.n ?? ''}`),
      (error: unknown) => (watchEnded = error ?? 'closed'),
    );

    const quietWatchStarted = Date.now();
    const quietWatchEnded = new Promise<{ error: unknown; afterMs: number }>((resolve) => {
      void new Watch(admin).watch(
        `/api/v1/namespaces/${namespace}/serviceaccounts`,
        {},
        () => undefined,
        (error: unknown) => resolve({ error, afterMs: Date.now() - quietWatchStarted }),
      );
    });

    const informerErrors: unknown[] = [];
    let informerConnects = 0;
    const added: string[] = [];
    const secrets = admin.makeApiClient(CoreV1Api);
    const informer = makeInformer<V1Secret>(admin, `/api/v1/namespaces/${namespace}/secrets`, () =>
      secrets.listNamespacedSecret({ namespace }),
    );
    informer.on('add', (secret) => added.push(secret.metadata?.name ?? ''));
    informer.on('error', (error) => informerErrors.push(error));
    informer.on('connect', () => informerConnects++);
    await informer.start();

    try {
      // 8 changes, 5 s apart: the busy watch must see each; the informer hears nothing.
      for (let n = 0; n < 8; n++) {
        const body = { metadata: { name: 'ticker' }, data: { n: String(n) } };
        if (n === 0) await core.createNamespacedConfigMap({ namespace, body });
        else await core.replaceNamespacedConfigMap({ name: 'ticker', namespace, body });
        await new Promise((resolve) => setTimeout(resolve, 5_000));
      }
      expect(watchEnded).toBeUndefined();
      expect(seen).toEqual(['ADDED 0', ...[1, 2, 3, 4, 5, 6, 7].map((n) => `MODIFIED ${n}`)]);

      await core.createNamespacedSecret({ namespace, body: { metadata: { name: 'late' } } });
      const deadline = Date.now() + 10_000;
      while (!added.includes('late') && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      expect(added).toEqual(['late']);
      expect(informerErrors).toEqual([]);
      expect(informerConnects).toBeGreaterThanOrEqual(2); // it did time out and resume

      const quiet = await quietWatchEnded;
      expect(quiet.error).toMatchObject({ name: 'TimeoutError' });
      expect(quiet.afterMs).toBeGreaterThanOrEqual(30_000);
    } finally {
      busyWatch.abort();
      await informer.stop();
    }
  }, 90_000);

  it(
    'stops and restarts the API server, keeping data, certificates and tokens',
    async () => {
      await core.createNamespace({ body: { metadata: { name: 'smoke-restart' } } });
      await core.createNamespacedConfigMap({
        namespace: 'smoke-restart',
        body: { metadata: { name: 'kept' }, data: { answer: '42' } },
      });
      const reader = (
        await plane.kubeConfigFor({
          name: 'restart-reader',
          clusterRoleRules: [{ apiGroups: [''], resources: ['configmaps'], verbs: ['get'] }],
        })
      ).makeApiClient(CoreV1Api);
      const pidsBefore = plane.pids();

      await plane.stopApiServer();
      expect(plane.pids()).toHaveLength(1); // etcd only
      await expect(core.listNamespace()).rejects.toThrow(/ECONNREFUSED|fetch failed/);

      await plane.startApiServer();
      expect(plane.pids()[0]).toBe(pidsBefore[0]); // the same etcd
      const kept = await reader.readNamespacedConfigMap({
        name: 'kept',
        namespace: 'smoke-restart',
      });
      expect(kept.data).toEqual({ answer: '42' });
    },
    START_TIMEOUT,
  );

  it('stop() leaves no process and no directory behind', async () => {
    const { workDir } = plane;
    expect(await programsMentioning(workDir)).toEqual(['bash', 'etcd', 'kube-apiserver']); // bash: the reaper
    expect(existsSync(workDir)).toBe(true);

    await plane.stop();

    expect(await processesMentioning(workDir)).toEqual([]);
    expect(existsSync(workDir)).toBe(false);
    await plane.stop(); // a second stop is harmless
  }, 30_000);
});

describe('cleanup when the test process dies', () => {
  it(
    'the reaper stops the control plane of a SIGKILLed process and removes its files',
    async () => {
      // A plain Node process (type stripping runs the harness as is) starts a control plane,
      // reports its work directory, and is then killed without any chance to clean up.
      const harness = fileURLToPath(new URL('./control-plane.ts', import.meta.url));
      const script =
        `const { startControlPlane } = await import(${JSON.stringify(harness)});` +
        'const plane = await startControlPlane();' +
        'console.log(plane.workDir);' +
        'setInterval(() => {}, 1000);';
      const child = spawn(process.execPath, ['--input-type=module', '--eval', script], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      const exited = new Promise((resolve) => child.once('exit', resolve));
      const firstLine = await new Promise<string>((resolve, reject) => {
        createInterface({ input: child.stdout }).once('line', resolve);
        child.once('exit', (code) => reject(new Error(`the child exited (${code}) before`)));
      });
      const workDir = firstLine.trim();
      expect(await programsMentioning(workDir)).toEqual(['bash', 'etcd', 'kube-apiserver']); // bash: the reaper

      child.kill('SIGKILL');
      await exited;

      await expectCleanedUp(workDir);
    },
    START_TIMEOUT,
  );
});

describe('shared control plane', () => {
  it(
    'starts once on first use, serves every caller, and is stopped by the teardown',
    async () => {
      // The real jest run already has a state directory; this test goes through a full
      // lifecycle of its own and then puts the run's back.
      const runStateDir = process.env.NOTEJAM_ENVTEST_SHARED_DIR;
      const runStateReaper = process.env.NOTEJAM_ENVTEST_SHARED_DIR_REAPER;
      try {
        await setupSharedControlPlane();
        const stateDir = process.env.NOTEJAM_ENVTEST_SHARED_DIR ?? '';
        const [first, second] = await Promise.all([sharedControlPlane(), sharedControlPlane()]);
        expect(second.server).toBe(first.server);

        const namespaces = await first.admin().makeApiClient(CoreV1Api).listNamespace();
        expect(namespaces.items.map((ns) => ns.metadata?.name)).toContain('default');
        const viewer = await second.kubeConfigFor({
          name: 'namespace-viewer',
          clusterRoleRules: [{ apiGroups: [''], resources: ['namespaces'], verbs: ['list'] }],
        });
        await expect(viewer.makeApiClient(CoreV1Api).listNamespace()).resolves.toBeDefined();

        const port = new URL(first.server).port;
        const [apiServerPid] = await processesMentioning(`--secure-port=${port}`);
        const commandLine = readFileSync(`/proc/${apiServerPid}/cmdline`, 'utf8');
        const workDir = /--cert-dir=([^\0]*)\/certs/.exec(commandLine)?.[1] ?? '';
        expect(workDir).not.toBe('');

        await teardownSharedControlPlane();

        await expectCleanedUp(workDir);
        await expectCleanedUp(stateDir);
      } finally {
        restoreVariable('NOTEJAM_ENVTEST_SHARED_DIR', runStateDir);
        restoreVariable('NOTEJAM_ENVTEST_SHARED_DIR_REAPER', runStateReaper);
      }
    },
    START_TIMEOUT,
  );
});
