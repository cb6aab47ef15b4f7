import type { V1ServiceAccount } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { childNames, ownedMetadata, type OwnedMetadata } from './labels.js';

export type DesiredServiceAccount = V1ServiceAccount & {
  apiVersion: 'v1';
  kind: 'ServiceAccount';
  metadata: OwnedMetadata;
};

/** The app's own identity, with no API access and no token mounted (it never calls the API). */
export function serviceAccount(instance: NotejamInstance): DesiredServiceAccount {
  return {
    apiVersion: 'v1',
    kind: 'ServiceAccount',
    metadata: ownedMetadata(instance, childNames.app(instance), 'web'),
    automountServiceAccountToken: false,
  };
}
