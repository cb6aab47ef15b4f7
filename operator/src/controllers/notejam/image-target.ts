// What the reconcile needs to know of spec.image, from the resolver's answer: the image a
// new revision runs (by digest when known), or that the registry says the tag does not
// exist, or that it has not answered yet. The resolver (src/registry/) answers "digest |
// not found | error | pending"; this is the one place that reads its answer.
import { conditionTypes } from '../../api/v1alpha1/types.js';
import type { ImageResolution } from '../../registry/resolver.js';
import type { ConditionInput } from './status.js';

export type ImageTarget =
  /** Deploy this image: pinned by digest, or by tag when no digest is known (see below). */
  | { state: 'found'; image: string }
  /** The registry says the tag does not exist: no Job is created for it. */
  | { state: 'notFound'; message: string }
  /** The registry has not answered yet for a new image: nothing changes until it does. */
  | { state: 'unknown' };

/** The reason the resolver gives a definite "no such tag" (HTTP 404 for the manifest). */
const notFoundReason = 'RegistryNotFound';

/**
 * A failed resolution other than "not found" does not hold a revision back: the last
 * known digest is kept, and a brand-new instance with none deploys by tag (some clusters
 * let nodes pull from registries the operator cannot reach).
 */
export function imageTarget(resolution: ImageResolution): ImageTarget {
  if (resolution.source === 'pending') return { state: 'unknown' };
  if (resolution.error?.reason === notFoundReason)
    return { state: 'notFound', message: resolution.error.message };
  return { state: 'found', image: resolution.image };
}

export function imageResolvedCondition(
  specImage: string,
  resolution: ImageResolution,
): ConditionInput {
  const type = conditionTypes.imageResolved;
  if (resolution.source === 'pending')
    return {
      type,
      status: 'Unknown',
      reason: 'Resolving',
      message: `Asking the registry for the digest of ${specImage}; no new revision starts before it answers`,
    };
  if (resolution.error?.reason === notFoundReason) {
    return {
      type,
      status: 'False',
      reason: notFoundReason,
      message: `${resolution.error.message}: no Job is created for it, and the deployed revision keeps running`,
    };
  }
  if (resolution.error) {
    const kept =
      resolution.source === 'lastKnown'
        ? `; keeping the last known digest ${resolution.digest}`
        : `; deploying ${specImage} by tag`;
    return {
      type,
      status: 'False',
      reason: resolution.error.reason,
      message: `${resolution.error.message}${kept}`,
    };
  }
  if (resolution.source === 'spec')
    return { type, status: 'True', reason: 'Pinned', message: `${specImage} names its digest` };
  return {
    type,
    status: 'True',
    reason: 'Resolved',
    message: `${specImage} resolves to ${resolution.digest}`,
  };
}
