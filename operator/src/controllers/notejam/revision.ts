// Revisions: a deployment of an instance is identified by a hash of what shapes its pods
// (the resolved image, the spec fields that end up in the pod template, and the operator's
// own rendering of them), never by the tag string alone.
import { stableHash } from '../../runtime/canonical-json.js';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { podTemplate } from './pod-template.js';

/** Pod template annotation naming the revision a pod belongs to. */
export const revisionAnnotation = 'notejam.io/revision';
/** Hex characters of a revision: short enough for Job names and label values. */
export const revisionLength = 10;

/**
 * The revision of an instance running `image` (which should be a digest reference once
 * resolved): changes exactly when the pods would change, and only then.
 */
export function revision(instance: NotejamInstance, image: string): string {
  return stableHash(podTemplate(instance, image), revisionLength);
}
