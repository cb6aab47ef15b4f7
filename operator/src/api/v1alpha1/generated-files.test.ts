import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { customResourceDefinition } from './crd.js';
import { crdPaths, generatedFiles } from './generated-files.js';

const repositoryRoot = fileURLToPath(new URL('../../../../', import.meta.url));

function committed(path: string): string {
  try {
    return readFileSync(join(repositoryRoot, path), 'utf8');
  } catch {
    return `(${path} is missing)`;
  }
}

describe('generated files', () => {
  it.each(generatedFiles().map((f) => [f.path, f.content] as const))(
    '%s is up to date (else run `make generate` and commit the result)',
    (path, content) => {
      const current = committed(path);
      if (current !== content) {
        throw new Error(
          `${path} is stale: it differs from what operator/src/api/v1alpha1/ generates. Run \`make generate\` and commit the result.`,
        );
      }
    },
  );

  it('writes the CRD to the three places the contract names, as valid YAML of the CRD object', () => {
    expect(crdPaths).toEqual([
      'crds/notejam.io_notejaminstances.yaml',
      'config/crd/bases/notejam.io_notejaminstances.yaml',
      'charts/notejam-operator/crds/notejam.io_notejaminstances.yaml',
    ]);
    const [crdFile] = generatedFiles();
    expect(parse(crdFile!.content)).toEqual(customResourceDefinition());
  });

  it('documents every field of the spec and the status in docs/api.md', () => {
    const docs = generatedFiles().find((f) => f.path === 'docs/api.md')!.content;
    for (const field of [
      'spec.image',
      'spec.autoscaling.maxReplicas',
      'spec.database.mysql.secretRef.name',
    ]) {
      expect(docs).toContain(`| \`${field}\` |`);
    }
    expect(docs).toContain('| `status.conditions[].reason` |');
  });
});
