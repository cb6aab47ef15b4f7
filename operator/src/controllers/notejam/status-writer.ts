/**
 * Writes an instance's status through the /status subresource, only when it changed (a
 * steady state writes nothing), and tells the story of each transition with Events.
 */
import type { KubernetesObject } from '@kubernetes/client-node';
import {
  type NotejamInstance,
  type NotejamInstanceStatus,
  conditionTypes,
} from '../../api/v1alpha1/types.js';
import type { EventRecorder } from '../../runtime/events.js';
import type { KubeClient } from '../../runtime/kube-client.js';
import type { ResourceType } from '../../runtime/resources.js';
import { conditionStatus, statusChanged } from './status.js';

export interface StatusWriterDeps {
  client: KubeClient;
  events: EventRecorder;
  instanceType: ResourceType;
  fieldManager: string;
}

export class StatusWriter {
  constructor(private readonly deps: StatusWriterDeps) {}

  /** Writes `status` if it differs from the instance's, and records its transitions. */
  async update(instance: NotejamInstance, status: NotejamInstanceStatus): Promise<void> {
    if (!statusChanged(instance.status, status)) return;
    await this.deps.client.apply(
      this.deps.instanceType,
      {
        apiVersion: instance.apiVersion,
        kind: instance.kind,
        metadata: { name: instance.metadata.name, namespace: instance.metadata.namespace },
        status,
      } as KubernetesObject,
      { fieldManager: this.deps.fieldManager, force: true, subresource: 'status' },
    );
    this.announceTransitions(instance, instance.status, status);
  }

  private announceTransitions(
    instance: NotejamInstance,
    before: NotejamInstanceStatus | undefined,
    after: NotejamInstanceStatus,
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
    // Every new failure (another Job or attempt: another message) is an Event.
    const degradedBefore = before?.conditions?.find((c) => c.type === conditionTypes.degraded);
    const degradedAfter = after.conditions?.find((c) => c.type === conditionTypes.degraded);
    if (
      degradedAfter?.status === 'True' &&
      (degradedBefore?.status !== 'True' || degradedBefore.message !== degradedAfter.message)
    ) {
      events.record(instance, 'Warning', degradedAfter.reason, 'Reconcile', degradedAfter.message);
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
