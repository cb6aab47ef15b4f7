// A lifecycle suite on the real control plane: its own namespace, the operator under
// config/rbac watching it, a real OCI registry for the images, and a Job runner per
// instance running the app's CLI (or a fixture standing for another release) against a
// MariaDB database of its own.
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type {
  KubeConfig,
  KubernetesObject,
  V1Deployment,
  V1Job,
  V1Secret,
} from '@kubernetes/client-node';
import type { NotejamInstance } from '../../src/api/v1alpha1/types.js';
import type { OperatorConfig } from '../../src/config.js';
import type { RunningOperator } from '../../src/operator.js';
import type { KubeClient } from '../../src/runtime/kube-client.js';
import { type ControlPlaneClient, sharedControlPlane } from '../envtest/control-plane.js';
import {
  adminClient,
  ensureNamespace,
  fieldManager,
  installCrd,
  markDeploymentAvailable,
  operatorIdentity,
  repoRoot,
  runLifecycleJobs,
  runOperator,
  testConfig,
  types,
  waitFor,
  type LifecycleJobs,
} from '../integration/support.js';
import type { JobRunnerOptions } from '../support/job-runner.js';
import { startTestRegistry, type TestRegistry } from '../support/oci-registry.js';

export const jobType = {
  group: 'batch',
  version: 'v1',
  plural: 'jobs',
  kind: 'Job',
  namespaced: true,
} as const;

/** A Job runner entrypoint: a fixture of this directory run with node instead of the CLI. */
export const fixtureEntrypoint = (file: string): string[] => [
  process.execPath,
  fileURLToPath(new URL(`fixtures/${file}`, import.meta.url)),
];

/** The app's migrations, oldest first, as its build runs them (what the Jobs run here). */
export const appMigrations: string[] = (
  createRequire(import.meta.url)(join(repoRoot, 'app/dist/database/migrations/index.js')) as {
    MIGRATIONS: Array<{ name: string }>;
  }
).MIGRATIONS.map((migration) => migration.name);
export const newestMigration = appMigrations.at(-1);

export const conditionOf = (instance: NotejamInstance, type: string) =>
  instance.status?.conditions?.find((c) => c.type === type);

export class LifecycleSuite {
  private readonly runners: LifecycleJobs[] = [];
  private operator: RunningOperator | undefined;

  private constructor(
    readonly namespace: string,
    readonly plane: ControlPlaneClient,
    readonly admin: KubeClient,
    private readonly identity: KubeConfig,
    readonly registry: TestRegistry,
    private readonly operatorConfig: Partial<OperatorConfig>,
  ) {}

  /**
   * In beforeAll (it takes a while): namespace, registry, the operator watching it (with
   * `operatorConfig` over the suite's settings).
   */
  static async start(
    namespace: string,
    operatorConfig: Partial<OperatorConfig> = {},
  ): Promise<LifecycleSuite> {
    const plane = await sharedControlPlane();
    const admin = adminClient(plane);
    await installCrd(admin);
    await ensureNamespace(admin, namespace);
    const registry = await startTestRegistry('none');
    const identity = await operatorIdentity(plane, admin);
    const suite = new LifecycleSuite(namespace, plane, admin, identity, registry, operatorConfig);
    await suite.startOperator();
    return suite;
  }

  async startOperator(): Promise<void> {
    this.operator = await runOperator(
      this.identity,
      testConfig({
        watchNamespace: this.namespace,
        resyncPeriodMs: 1000,
        imageResolveIntervalMs: 500,
        ...this.operatorConfig,
      }),
    );
  }

  async stopOperator(): Promise<void> {
    await this.operator?.stop();
    this.operator = undefined;
  }

  async stop(): Promise<void> {
    await this.stopOperator();
    for (const runner of this.runners) await runner.stop();
    await this.registry?.stop();
    await this.admin?.close();
  }

  /** Runs the instance's Jobs (against its own database, or `reuse`'s) until stopped. */
  jobsFor(
    name: string,
    runner: Partial<JobRunnerOptions> = {},
    reuse?: LifecycleJobs,
  ): Promise<LifecycleJobs> {
    return this.runJobs({
      secretName: `${name}-db`,
      instance: name,
      ...(reuse ? { database: reuse.database } : {}),
      runner,
    });
  }

  /** Runs the namespace's Jobs as `options` say (runLifecycleJobs) until stopped. */
  async runJobs(options: Parameters<typeof runLifecycleJobs>[3]): Promise<LifecycleJobs> {
    const jobs = await runLifecycleJobs(this.plane, this.admin, this.namespace, options);
    this.runners.push(jobs);
    return jobs;
  }

  image(tag: string): string {
    return `${this.registry.host}/notejam/app:${tag}`;
  }

  /** Pushes a new image under `tag`; returns the reference the pods run (by digest). */
  async push(tag: string): Promise<string> {
    return `${this.image(tag)}@${await this.registry.pushImage('notejam/app', tag)}`;
  }

  /** A production MySQL instance with two replicas unless `spec` says otherwise. */
  async applyInstance(
    name: string,
    spec: Record<string, unknown>,
    metadata: Record<string, unknown> = {},
  ): Promise<void> {
    await this.admin.apply(
      types.instance,
      {
        apiVersion: 'notejam.io/v1alpha1',
        kind: 'NotejamInstance',
        metadata: { name, namespace: this.namespace, ...metadata },
        spec: {
          environment: 'production',
          replicas: 2,
          database: { type: 'mysql', mysql: { secretRef: { name: `${name}-db` } } },
          ...spec,
        },
      } as KubernetesObject,
      { fieldManager, force: true },
    );
  }

  instance(name: string): Promise<NotejamInstance> {
    return this.admin.get<NotejamInstance>(types.instance, this.namespace, name);
  }

  deployment(name: string): Promise<V1Deployment | undefined> {
    return this.admin.getIfExists<V1Deployment>(types.deployment, this.namespace, name);
  }

  async deployedImage(name: string): Promise<string | undefined> {
    return (await this.deployment(name))?.spec?.template.spec?.containers[0]?.image;
  }

  async jobsOf(name: string, kind?: string): Promise<V1Job[]> {
    const list = await this.admin.list<V1Job>(jobType, {
      namespace: this.namespace,
      labelSelector: `app.kubernetes.io/instance=${name}${kind ? `,notejam.io/job-kind=${kind}` : ''}`,
    });
    return list.items;
  }

  async eventReasons(name: string): Promise<string[]> {
    const instance = await this.instance(name);
    const list = await this.admin.list<
      KubernetesObject & { reason?: string; regarding?: { uid?: string } }
    >(types.event, { namespace: this.namespace });
    return list.items
      .filter((event) => event.regarding?.uid === instance.metadata.uid)
      .map((event) => event.reason ?? '');
  }

  /** The instance once its status describes its generation and satisfies `check`. */
  observed(
    name: string,
    what: string,
    check: (instance: NotejamInstance) => boolean,
    timeoutMs = 60_000,
  ): Promise<NotejamInstance> {
    return waitFor(
      `${name}: ${what}`,
      async () => {
        const instance = await this.instance(name);
        return instance.status?.observedGeneration === instance.metadata.generation &&
          check(instance)
          ? instance
          : undefined;
      },
      timeoutMs,
    );
  }

  /** Waits until the Deployment runs `expected`, then reports its pods up; returns the instance. */
  async rolledOutTo(name: string, expected: string): Promise<NotejamInstance> {
    await waitFor(
      `${name} to run ${expected}`,
      async () => (await this.deployedImage(name)) === expected,
      120_000,
    );
    await markDeploymentAvailable(this.admin, this.namespace, name);
    return waitFor(`${name} to be Ready`, async () => {
      const instance = await this.instance(name);
      return instance.status?.phase === 'Ready' && instance.status.deployedImage === expected
        ? instance
        : undefined;
    });
  }

  /** Changes values of the instance's database Secret (the Job runner's, `<name>-db`). */
  async patchDatabaseSecret(name: string, values: Record<string, string>): Promise<void> {
    await this.admin.mergePatch<V1Secret>(
      types.secret,
      this.namespace,
      `${name}-db`,
      { stringData: values },
      fieldManager,
    );
  }
}
