// Names, labels and owner references shared by every object the operator creates.
import type { V1ObjectMeta, V1OwnerReference } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';

/** The field manager of every server-side apply. */
export const fieldManager = 'notejam-operator';

/** Marks the objects this operator manages (informers select owned objects by it). */
export const managedByLabel = { 'app.kubernetes.io/managed-by': fieldManager } as const;

/** What part of an instance an object belongs to (`app.kubernetes.io/component`). */
export type Component = 'web' | 'data' | 'session';

/** Labels that select the app pods: stable for the instance's life (a selector is immutable). */
export function selectorLabels(instance: NotejamInstance): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'notejam',
    'app.kubernetes.io/instance': instance.metadata.name,
    'app.kubernetes.io/component': 'web',
  };
}

export function labels(instance: NotejamInstance, component: Component): Record<string, string> {
  return {
    'app.kubernetes.io/name': 'notejam',
    'app.kubernetes.io/instance': instance.metadata.name,
    'app.kubernetes.io/component': component,
    ...managedByLabel,
  };
}

/** Makes the instance the controller of an object: garbage-collected with it, events mapped to it. */
export function ownerReference(instance: NotejamInstance): V1OwnerReference {
  return {
    apiVersion: instance.apiVersion,
    kind: instance.kind,
    name: instance.metadata.name,
    uid: instance.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** Metadata every object the operator owns carries. */
export interface OwnedMetadata extends V1ObjectMeta {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  ownerReferences: V1OwnerReference[];
}

export function ownedMetadata(
  instance: NotejamInstance,
  name: string,
  component: Component,
): OwnedMetadata {
  return {
    name,
    namespace: instance.metadata.namespace,
    labels: labels(instance, component),
    ownerReferences: [ownerReference(instance)],
  };
}

/** Names of the children, from the instance name (at most 40 characters, checked by the CRD). */
export const childNames = {
  app: (instance: NotejamInstance) => instance.metadata.name,
  data: (instance: NotejamInstance) => `${instance.metadata.name}-data`,
  backups: (instance: NotejamInstance) => `${instance.metadata.name}-backups`,
  sessionSecret: (instance: NotejamInstance) => `${instance.metadata.name}-session`,
};
