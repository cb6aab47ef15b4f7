// The session-signing Secret: created once with a random value and then kept (applying it
// again would log every user out), so it is not part of desiredChildren.
import { randomBytes } from 'node:crypto';
import type { V1Secret } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { childNames, ownedMetadata, type OwnedMetadata } from './labels.js';

export const sessionSecretKey = 'session-secret';

/** A new random session secret (256 bits; the app needs at least 32 characters). */
export function randomSessionSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function sessionSecret(
  instance: NotejamInstance,
  randomValue: string,
): V1Secret & { apiVersion: 'v1'; kind: 'Secret'; metadata: OwnedMetadata } {
  if (randomValue.length < 32)
    throw new Error('the session secret must be at least 32 characters long');
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: ownedMetadata(instance, childNames.sessionSecret(instance), 'session'),
    type: 'Opaque',
    // Every pod must sign and check sessions with the same value, for the instance's whole life.
    immutable: true,
    data: { [sessionSecretKey]: Buffer.from(randomValue).toString('base64') },
  };
}
