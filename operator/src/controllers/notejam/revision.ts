// Revisions: a deployment of an instance is identified by a hash of what shapes its pods
// (the resolved image, the spec fields that end up in the pod template, and the operator's
// own rendering of them), never by the tag string alone.
import { createHash } from 'node:crypto';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { podTemplate } from './pod-template.js';

/** Pod template annotation naming the revision a pod belongs to. */
export const revisionAnnotation = 'notejam.io/revision';
const revisionLength = 10;

/** JSON with object keys sorted, so equal values always give equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** A short, stable hex hash of a value (fits Job names and label values). */
export function stableHash(value: unknown, length = revisionLength): string {
  return createHash('sha256').update(canonicalJson(value)).digest('hex').slice(0, length);
}

/**
 * The revision of an instance running `image` (which should be a digest reference once
 * resolved): changes exactly when the pods would change, and only then.
 */
export function revision(instance: NotejamInstance, image: string): string {
  return stableHash(podTemplate(instance, image));
}
