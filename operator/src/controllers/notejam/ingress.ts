import type { V1Ingress } from '@kubernetes/client-node';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { childNames, ownedMetadata, type OwnedMetadata } from './labels.js';
import { httpPortName } from './pod-template.js';

export type DesiredIngress = V1Ingress & {
  apiVersion: 'networking.k8s.io/v1';
  kind: 'Ingress';
  metadata: OwnedMetadata;
};

/** The Ingress, or undefined when `spec.ingress` is not set. */
export function ingress(instance: NotejamInstance): DesiredIngress | undefined {
  const settings = instance.spec.ingress;
  if (!settings) return undefined;
  const metadata = ownedMetadata(instance, childNames.app(instance), 'web');
  if (settings.annotations && Object.keys(settings.annotations).length) {
    metadata.annotations = { ...settings.annotations };
  }
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata,
    spec: {
      ...(settings.className ? { ingressClassName: settings.className } : {}),
      rules: [
        {
          host: settings.host,
          http: {
            paths: [
              {
                path: '/',
                pathType: 'Prefix',
                backend: {
                  service: { name: childNames.app(instance), port: { name: httpPortName } },
                },
              },
            ],
          },
        },
      ],
      ...(settings.tlsSecretName
        ? { tls: [{ hosts: [settings.host], secretName: settings.tlsSecretName }] }
        : {}),
    },
  };
}
