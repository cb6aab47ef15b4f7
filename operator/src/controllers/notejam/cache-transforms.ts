// What the informer caches keep of each object: only what the reconcile reads. At 1,000
// instances the caches hold ~10,000 objects, and most of their bytes are managedFields (one
// entry per writer, each a copy of the field tree), pod templates and Secret data, none of
// which the reconcile needs. Each transform runs once per object as it arrives (informer
// `transform`, client-go's SetTransform); a reader that starts using a dropped field must
// keep it here (the tests of this file list what stays).
import type {
  KubernetesObject,
  V1Container,
  V1ObjectMeta,
  V1PodTemplateSpec,
  V1Secret,
} from '@kubernetes/client-node';
import { isDatabaseVariable } from './revision.js';

/** Written by `kubectl apply` (client-side): a full copy of the object, read by nobody here. */
const lastAppliedAnnotation = 'kubectl.kubernetes.io/last-applied-configuration';

/** The pull-secret keys the registry credentials come from (credentials.ts). */
const pullSecretKeys = ['.dockerconfigjson', '.dockercfg'];

function trimMetadata(metadata: V1ObjectMeta | undefined, keepManager?: string): void {
  if (!metadata) return;
  // The applier compares our own Apply entry (no subresource) to detect drift; others are noise.
  const own = metadata.managedFields?.filter(
    (entry) => entry.manager === keepManager && entry.operation === 'Apply' && !entry.subresource,
  );
  if (own?.length) metadata.managedFields = own;
  else delete metadata.managedFields;
  if (metadata.annotations?.[lastAppliedAnnotation] !== undefined) {
    delete metadata.annotations[lastAppliedAnnotation];
  }
}

/**
 * A pod template reduced to its metadata and each container's name, image and database
 * variables (revision.ts compares them to adopt a Deployment an older operator wrote).
 */
function trimPodTemplate(template: V1PodTemplateSpec | undefined): void {
  const spec = template?.spec;
  if (!template || !spec) return;
  const nameAndImage = (container: V1Container): V1Container => {
    const database = container.env?.filter(isDatabaseVariable);
    return {
      name: container.name,
      ...(container.image !== undefined ? { image: container.image } : {}),
      ...(database?.length ? { env: database } : {}),
    };
  };
  template.spec = {
    containers: spec.containers.map(nameAndImage),
    ...(spec.initContainers ? { initContainers: spec.initContainers.map(nameAndImage) } : {}),
  };
}

/** NotejamInstances: spec, status and metadata without managedFields. */
export function trimInstance<T extends KubernetesObject>(instance: T): T {
  trimMetadata(instance.metadata);
  return instance;
}

/**
 * Objects the operator owns: our own Apply entry of managedFields (drift detection and the
 * HPA replica hand-over read it), pod templates reduced to names, images and database
 * variables (Deployments: the image deployed and its database; Jobs: the container whose
 * termination message is read), and no
 * Secret data (the session Secret is only checked for existence, never read back).
 */
export function trimOwned(fieldManager: string) {
  return <T extends KubernetesObject>(object: T): T => {
    trimMetadata(object.metadata, fieldManager);
    const withTemplate = object as { spec?: { template?: V1PodTemplateSpec } };
    if (object.kind === 'Deployment' || object.kind === 'Job') {
      trimPodTemplate(withTemplate.spec?.template);
    }
    if (object.kind === 'Secret') {
      delete (object as V1Secret).data;
      delete (object as V1Secret).stringData;
    }
    return object;
  };
}

/** Image pull Secrets: their type and the credentials keys, nothing else. */
export function trimPullSecret(secret: V1Secret): V1Secret {
  const { name, namespace, uid, resourceVersion } = secret.metadata ?? {};
  const data = Object.fromEntries(
    Object.entries(secret.data ?? {}).filter(([key]) => pullSecretKeys.includes(key)),
  );
  return {
    apiVersion: secret.apiVersion,
    kind: secret.kind,
    metadata: { name, namespace, uid, resourceVersion },
    type: secret.type,
    data,
  };
}

/**
 * Every Secret's metadata (database-secret.ts): its identity and resourceVersion, which is
 * all the rollout on a rotated password compares; managedFields, labels and annotations of
 * Secrets that are not ours would otherwise fill the cache.
 */
export function trimSecretMetadata<T extends KubernetesObject>(object: T): T {
  const { name, namespace, uid, resourceVersion } = object.metadata ?? {};
  return {
    apiVersion: object.apiVersion,
    kind: object.kind,
    metadata: { name, namespace, uid, resourceVersion },
  } as T;
}
