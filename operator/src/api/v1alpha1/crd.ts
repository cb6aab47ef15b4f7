// The CustomResourceDefinition of NotejamInstance, built from the schema in schema.ts.
import { instanceSchema } from './schema.js';
import {
  categories,
  group,
  kind,
  listKind,
  plural,
  shortNames,
  singular,
  version,
} from './types.js';

export interface PrinterColumn {
  name: string;
  type: 'string' | 'integer' | 'boolean' | 'date';
  jsonPath: string;
  description: string;
  priority?: number;
}

export const printerColumns: PrinterColumn[] = [
  {
    name: 'Image',
    type: 'string',
    jsonPath: '.spec.image',
    description: 'Image the spec asks for.',
  },
  {
    name: 'Database',
    type: 'string',
    jsonPath: '.spec.database.type',
    description: 'Database engine.',
  },
  { name: 'Phase', type: 'string', jsonPath: '.status.phase', description: 'Deployment phase.' },
  {
    name: 'Paused',
    type: 'boolean',
    jsonPath: '.spec.paused',
    description: 'Whether the operator leaves the instance alone (spec.paused).',
  },
  {
    name: 'Ready',
    type: 'integer',
    jsonPath: '.status.readyReplicas',
    description: 'Ready app pods.',
  },
  {
    name: 'Age',
    type: 'date',
    jsonPath: '.metadata.creationTimestamp',
    description: 'Time since creation.',
  },
  {
    name: 'Environment',
    type: 'string',
    jsonPath: '.spec.environment',
    description: 'Kind of environment.',
    priority: 1,
  },
  {
    name: 'Revision',
    type: 'string',
    jsonPath: '.status.revision',
    description: 'Deployed revision.',
    priority: 1,
  },
  {
    name: 'Schema',
    type: 'string',
    jsonPath: '.status.schemaVersion',
    description: 'Newest migration applied to the database.',
    priority: 1,
  },
  {
    name: 'Deployed',
    type: 'string',
    jsonPath: '.status.deployedImage',
    description: 'Image the pods run.',
    priority: 1,
  },
  {
    name: 'Backup',
    type: 'string',
    jsonPath: '.status.lastBackup.file',
    description: 'Newest backup taken before a migration.',
    priority: 1,
  },
];

/** The CRD as plain JSON in its wire format (ready to serialize or to apply). */
export function customResourceDefinition() {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}` },
    spec: {
      group,
      names: { kind, listKind, plural, singular, shortNames, categories },
      scope: 'Namespaced',
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: instanceSchema },
          subresources: {
            status: {},
            // `kubectl scale nj/<name> --replicas=N`: writes spec.replicas, so every rule on
            // it applies (one replica for sqlite, no change while autoscaling).
            scale: {
              specReplicasPath: '.spec.replicas',
              statusReplicasPath: '.status.replicas',
              labelSelectorPath: '.status.selector',
            },
          },
          additionalPrinterColumns: printerColumns,
        },
      ],
    },
  };
}
