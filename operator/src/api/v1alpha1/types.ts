// TypeScript types of notejam.io/v1alpha1, inferred from the schema values in schema.ts so
// the two cannot drift. `NotejamInstanceSpec` is what the API server returns (defaults
// applied: every defaulted field is present); `NotejamInstanceSpecInput` is what a manifest
// may contain.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import type { InOf, OutOf } from '../structural-schema.js';
import { phases, type specSchema, type statusSchema } from './schema.js';

export const group = 'notejam.io';
export const version = 'v1alpha1';
export const apiVersion = `${group}/${version}`;
export const kind = 'NotejamInstance';
export const listKind = 'NotejamInstanceList';
export const plural = 'notejaminstances';
export const singular = 'notejaminstance';
export const shortNames = ['nj'];
export const categories = ['notejam', 'all'];

export type NotejamInstanceSpec = OutOf<typeof specSchema>;
export type NotejamInstanceSpecInput = InOf<typeof specSchema>;
export type NotejamInstanceStatus = OutOf<typeof statusSchema>;

export type DatabaseType = NotejamInstanceSpec['database']['type'];
export type Environment = NotejamInstanceSpec['environment'];
export type OnDeploy = NotejamInstanceSpec['lifecycle']['onDeploy'];
export type Phase = (typeof phases)[number];
export { phases };

/** A condition in metav1.Condition shape. */
export type Condition = NonNullable<NotejamInstanceStatus['conditions']>[number];
export type ConditionStatus = Condition['status'];
/** Condition types the operator maintains. */
export const conditionTypes = {
  imageResolved: 'ImageResolved',
  ready: 'Ready',
  progressing: 'Progressing',
  degraded: 'Degraded',
  migrationsApplied: 'MigrationsApplied',
  seeded: 'Seeded',
  paused: 'Paused',
} as const;

/** A NotejamInstance as read from the API server (metadata set, spec defaulted). */
export interface NotejamInstance {
  apiVersion: typeof apiVersion;
  kind: typeof kind;
  metadata: V1ObjectMeta & { name: string; namespace: string; uid: string };
  spec: NotejamInstanceSpec;
  status?: NotejamInstanceStatus;
}

export interface NotejamInstanceList {
  apiVersion: typeof apiVersion;
  kind: typeof listKind;
  metadata: { resourceVersion?: string; continue?: string };
  items: NotejamInstance[];
}
