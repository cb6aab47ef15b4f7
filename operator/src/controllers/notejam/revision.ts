// Revisions: a deployment of an instance that needs the database steps (wipe, migrate,
// seed) is identified by what those steps depend on, the resolved image and the database
// it runs against, never by the tag string alone. What only shapes the pods (log level,
// resources, probes, the operator's own rendering of the template) rolls the pods and
// leaves the revision, so it runs no Job. The Deployment carries the revision it runs in
// its pod template's annotation: that is what is deployed (docs/design/lifecycle.md).
import type { V1Container, V1Deployment, V1EnvVar } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { canonicalJson, stableHash } from '../../runtime/canonical-json.js';
import { appContainerName, podTemplate } from './pod-template.js';

/** Pod template annotation naming the revision a pod belongs to. */
export const revisionAnnotation = 'notejam.io/revision';
/** Hex characters of a revision: short enough for Job names and label values. */
export const revisionLength = 10;

/** The database a revision's steps run against: its engine and where it is. */
function databaseSettings(instance: NotejamInstance) {
  const { type, mysql } = instance.spec.database;
  return type === 'mysql' ? { type, secret: mysql?.secretRef.name } : { type };
}

/**
 * The revision of an instance running `image` (a digest reference once resolved): changes
 * exactly when the database steps have something new to do.
 */
export function revision(instance: NotejamInstance, image: string): string {
  return stableHash({ image, database: databaseSettings(instance) }, revisionLength);
}

/** What a Deployment runs: its app image and the revision in its pod template's annotation. */
export interface DeployedRevision {
  image: string;
  /** Undefined for a Deployment written by an operator version before revisions. */
  revision?: string;
}

const appContainer = (containers: V1Container[] | undefined) =>
  containers?.find((container) => container.name === appContainerName);

/** The app's database variables (DB_*): where a pod's database is. */
export const isDatabaseVariable = (variable: V1EnvVar): boolean => variable.name.startsWith('DB_');

/** The app's database variables, as rendered. */
function databaseEnvironment(container: V1Container | undefined): string {
  return canonicalJson((container?.env ?? []).filter(isDatabaseVariable));
}

/**
 * What the live Deployment runs, read from the Deployment itself (never from status,
 * which is written after acting). Its annotation names the revision; when that is the
 * target, the target's image is what it runs (an image someone changed by hand is put
 * back). An operator version whose revision hashed the whole pod template annotated
 * another value; such a Deployment runs `target` when it runs the target's image against
 * the same database: the steps for it succeeded before it moved, so an operator upgrade
 * runs no database step. Without a Deployment (deleted by hand), what the status
 * recorded: it is written only after applying the Deployment succeeded, so that revision's
 * steps are done and recreating it runs none (no wipe).
 */
export function deployedRevision(
  instance: NotejamInstance,
  live: V1Deployment | undefined,
  target?: { image: string; revision: string },
): DeployedRevision | undefined {
  if (!live) {
    const { deployedImage, revision: recorded } = instance.status ?? {};
    return deployedImage
      ? { image: deployedImage, ...(recorded === undefined ? {} : { revision: recorded }) }
      : undefined;
  }
  const template = live.spec?.template;
  const container = appContainer(template?.spec?.containers);
  if (!container?.image) return undefined;
  const annotated = template?.metadata?.annotations?.[revisionAnnotation];
  if (target && annotated === target.revision) return { ...target };
  if (
    target &&
    annotated !== undefined &&
    container.image === target.image &&
    databaseEnvironment(container) ===
      databaseEnvironment(appContainer(podTemplate(instance, target.image).spec?.containers))
  ) {
    return { ...target };
  }
  return { image: container.image, ...(annotated === undefined ? {} : { revision: annotated }) };
}
