// `npm run generate -w operator` / `make generate`: writes the CRD copies and docs/api.md.
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generatedFiles } from '../api/v1alpha1/generated-files.js';

// This file runs as operator/dist/tools/generate.js.
const repositoryRoot = fileURLToPath(new URL('../../../', import.meta.url));

for (const { path, content } of generatedFiles()) {
  const target = join(repositoryRoot, path);
  mkdirSync(dirname(target), { recursive: true });
  writeFileSync(target, content);
  console.log(`wrote ${path}`);
}
