// config/rbac must grant exactly the calls the code declares next to where it makes them:
// a missing verb breaks the operator at run time (the integration tests run it under this
// RBAC), an extra one is privilege nobody needs.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from '@jest/globals';
import { type V1PolicyRule, loadAllYaml } from '@kubernetes/client-node';
import { controllerPermissions } from './controllers/notejam/controller.js';
import { eventVerbs } from './runtime/events.js';
import { leaseVerbs } from './runtime/leader-election.js';
import { eventType, leaseType } from './runtime/resources.js';

const rbacDir = new URL('../../config/rbac/', import.meta.url);

function grants(file: string, kind: string): Set<string> {
  const documents = loadAllYaml(readFileSync(new URL(file, rbacDir), 'utf8')) as Array<{
    kind: string;
    rules?: V1PolicyRule[];
  }>;
  const triples = new Set<string>();
  for (const document of documents.filter((candidate) => candidate.kind === kind)) {
    for (const rule of document.rules ?? []) {
      const names = [...(rule.resourceNames ?? [])].sort().join(',');
      for (const group of rule.apiGroups ?? []) {
        for (const resource of rule.resources ?? []) {
          for (const verb of rule.verbs) triples.add(`${group}|${resource}|${verb}|${names}`);
        }
      }
    }
  }
  return triples;
}

/** `group|resource|verb|resourceNames` (names empty: every object). */
const triples = (
  permissions: Array<{
    group: string;
    resource: string;
    verbs: string[];
    resourceNames?: string[];
  }>,
) =>
  new Set(
    permissions.flatMap(({ group, resource, verbs, resourceNames = [] }) =>
      verbs.map((verb) => `${group}|${resource}|${verb}|${[...resourceNames].sort().join(',')}`),
    ),
  );

describe('config/rbac', () => {
  it('grants the ClusterRole exactly what the controller calls', () => {
    expect([...grants('role.yaml', 'ClusterRole')].sort()).toEqual(
      [...triples(controllerPermissions())].sort(),
    );
  });

  it('lets the operator set blockOwnerDeletion on its instances’ children, and read one CRD only', () => {
    const granted = grants('role.yaml', 'ClusterRole');
    expect(granted).toContain('notejam.io|notejaminstances/finalizers|update|');
    expect([...granted].filter((rule) => rule.startsWith('apiextensions.k8s.io|')).sort()).toEqual([
      'apiextensions.k8s.io|customresourcedefinitions|list|servicemonitors.monitoring.coreos.com',
      'apiextensions.k8s.io|customresourcedefinitions|watch|servicemonitors.monitoring.coreos.com',
    ]);
  });

  it('grants the leader-election Role exactly the lease and event calls', () => {
    const expected = triples([
      { group: leaseType.group, resource: leaseType.plural, verbs: leaseVerbs },
      { group: eventType.group, resource: eventType.plural, verbs: eventVerbs },
    ]);
    expect([...grants('leader_election_role.yaml', 'Role')].sort()).toEqual([...expected].sort());
  });

  it('binds both roles to the operator ServiceAccount', () => {
    const subjects = ['role_binding.yaml', 'leader_election_role.yaml'].flatMap((file) =>
      (
        loadAllYaml(readFileSync(new URL(file, rbacDir), 'utf8')) as Array<{
          kind: string;
          subjects?: unknown[];
        }>
      )
        .filter((document) => document.kind.endsWith('Binding'))
        .flatMap((document) => document.subjects ?? []),
    );
    expect(subjects).toEqual([
      { kind: 'ServiceAccount', name: 'notejam-operator', namespace: 'notejam-system' },
      { kind: 'ServiceAccount', name: 'notejam-operator', namespace: 'notejam-system' },
    ]);
  });
});
