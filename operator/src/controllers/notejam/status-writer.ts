/**
 * Writes an instance's status through the /status subresource, only when it changed (a
 * steady state writes nothing), and tells the story of each transition with Events: one
 * Warning per new failure, with its own reason.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  type NotejamInstance,
  type NotejamInstanceStatus,
  conditionTypes,
} from '../../api/v1alpha1/types.js';
import type { EventRecorder } from '../../runtime/events.js';
import { type KubeClient, isConflict } from '../../runtime/kube-client.js';
import type { ResourceType } from '../../runtime/resources.js';
import { schemaNewerThanCode } from './lifecycle-status.js';
import { conditionStatus, statusChanged } from './status.js';

/** A failure the Degraded condition lists (status.ts' `degradedBy`). */
export interface Failure {
  reason: string;
  message: string;
}

export interface StatusWriterDeps {
  client: KubeClient;
  events: EventRecorder;
  instanceType: ResourceType;
  fieldManager: string;
}

export class StatusWriter {
  constructor(private readonly deps: StatusWriterDeps) {}

  /**
   * Writes the status `statusOf` computes from the instance, if it differs from the
   * instance's, and records its transitions; `failures` are those its Degraded condition
   * lists. The write is conditional on the instance's resourceVersion: a status computed
   * from a cached copy older than the last write would put older values back (a schema
   * version, a condition). When the API server refuses it, the status is computed again
   * from the instance as it is now and written once more, so what this reconcile did (a
   * rollout and its schema version) is not lost: the next reconcile finds the Deployment
   * moved and has nothing to say about it. Unless the spec changed meanwhile: the new
   * generation's reconcile writes then.
   */
  async update(
    instance: NotejamInstance,
    statusOf: (instance: NotejamInstance) => NotejamInstanceStatus,
    failures: readonly Failure[],
  ): Promise<void> {
    try {
      await this.write(instance, statusOf(instance), failures);
    } catch (err) {
      if (!isConflict(err)) throw err;
      const { name, namespace, generation } = instance.metadata;
      const current = await this.deps.client.get<NotejamInstance>(
        this.deps.instanceType,
        namespace,
        name,
      );
      if (current.metadata.generation !== generation) return;
      await this.write(current, statusOf(current), failures);
    }
  }

  private async write(
    instance: NotejamInstance,
    status: NotejamInstanceStatus,
    failures: readonly Failure[],
  ): Promise<void> {
    if (!statusChanged(instance.status, status)) return;
    const { name, namespace, resourceVersion } = instance.metadata;
    await this.deps.client.apply(
      this.deps.instanceType,
      {
        apiVersion: instance.apiVersion,
        kind: instance.kind,
        metadata: { name, namespace, resourceVersion },
        status,
      } as KubernetesObject,
      { fieldManager: this.deps.fieldManager, force: true, subresource: 'status' },
    );
    this.announceTransitions(instance, instance.status, status, failures);
  }

  private announceTransitions(
    instance: NotejamInstance,
    before: NotejamInstanceStatus | undefined,
    after: NotejamInstanceStatus,
    failures: readonly Failure[],
  ) {
    const { events } = this.deps;
    const became = (type: string, status: 'True' | 'False') =>
      conditionStatus(after, type) === status && conditionStatus(before, type) !== status;
    const message = (type: string) => after.conditions?.find((c) => c.type === type)?.message ?? '';
    if (became(conditionTypes.ready, 'True'))
      events.record(instance, 'Normal', 'Ready', 'Reconcile', message(conditionTypes.ready));
    if (became(conditionTypes.migrationsApplied, 'True'))
      events.record(
        instance,
        'Normal',
        'MigrationsApplied',
        'Reconcile',
        message(conditionTypes.migrationsApplied),
      );
    if (became(conditionTypes.seeded, 'True') || seededAgain(before, after))
      events.record(instance, 'Normal', 'Seeded', 'Reconcile', message(conditionTypes.seeded));
    const migrations = (status: NotejamInstanceStatus | undefined) =>
      status?.conditions?.find((c) => c.type === conditionTypes.migrationsApplied);
    if (
      migrations(after)?.reason === schemaNewerThanCode &&
      migrations(before)?.reason !== schemaNewerThanCode
    ) {
      events.record(
        instance,
        'Warning',
        schemaNewerThanCode,
        'RollOut',
        message(conditionTypes.migrationsApplied),
      );
    }
    // Every new failure (another Job or attempt, another refusal: another message) is an
    // Event of its own reason; one still listed from before is not announced again.
    const degradedBefore = before?.conditions?.find((c) => c.type === conditionTypes.degraded);
    const known = degradedBefore?.status === 'True' ? degradedBefore.message : '';
    for (const failure of failures) {
      if (!known.includes(failure.message))
        events.record(instance, 'Warning', failure.reason, 'Reconcile', failure.message);
    }
    if (
      became(conditionTypes.degraded, 'False') &&
      before !== undefined &&
      conditionStatus(before, conditionTypes.degraded) === 'True'
    ) {
      events.record(
        instance,
        'Normal',
        'Recovered',
        'Reconcile',
        'The instance is no longer degraded',
      );
    }
  }
}

function seededAgain(before: NotejamInstanceStatus | undefined, after: NotejamInstanceStatus) {
  return !!before?.seed && !!after.seed && before.seed.key !== after.seed.key;
}
