// Static checks of the Dockerfiles: what they copy exists and is not excluded by
// .dockerignore, they build with the npm scripts the test suite runs, the runtime stage is
// non-root and production-only, and the entry points, run the way the image runs them,
// really start. The images themselves are built as they are by buildah and run as pods in
// the end-to-end suite on the local cluster (hack/local-cluster/images.sh).
import { describe, expect, it } from '@jest/globals';
import { existsSync } from 'node:fs';
import {
  copyDestination,
  copySources,
  dockerfileCommand,
  finalStage,
  globalArgs,
  images,
  isIgnored,
  parseDockerfile,
  stages,
  type Instruction,
  type Stage,
} from './dockerfile.js';
import { readRepoFile, repoPath } from './support.js';

const dockerignore = readRepoFile('.dockerignore');
const nodeVersion = readRepoFile('.nvmrc').trim();

function only(stage: Stage, keyword: string): Instruction {
  const found = stage.instructions.filter((instruction) => instruction.keyword === keyword);
  expect(found).toHaveLength(1);
  return found[0] as Instruction;
}

describe.each(images)('$dockerfile', ({ dockerfile, workspace, workdir, entrypoint }) => {
  const instructions = parseDockerfile(readRepoFile(dockerfile));
  const all = stages(instructions);
  const runtime = finalStage(all);
  const workspacePackage = JSON.parse(readRepoFile(workspace, 'package.json')) as {
    scripts?: Record<string, string>;
  };

  it('builds on the exact Node.js release of .nvmrc, on one pinned base image', () => {
    expect(globalArgs(instructions)['NODE_VERSION']).toBe(nodeVersion);
    const stageNames = new Set<string>();
    for (const stage of all) {
      expect([`node:\${NODE_VERSION}-bookworm-slim`, ...stageNames]).toContain(stage.base);
      if (stage.name) stageNames.add(stage.name);
    }
  });

  it('copies only files that exist in the build context and are not excluded by .dockerignore', () => {
    const contextCopies = all.flatMap((stage) =>
      stage.instructions.filter(
        (instruction) => instruction.keyword === 'COPY' && !instruction.flags['from'],
      ),
    );
    expect(contextCopies.length).toBeGreaterThan(0);
    for (const copy of contextCopies) {
      for (const source of copySources(copy)) {
        expect({ source, exists: existsSync(repoPath(source)) }).toEqual({ source, exists: true });
        expect({ source, ignored: isIgnored(source, dockerignore) }).toEqual({
          source,
          ignored: false,
        });
      }
    }
  });

  it('is keyed by the pipeline on exactly what it copies, itself and .dockerignore (hack/gitops/images.conf)', () => {
    // The source key decides whether a commit builds a new image: a copied path missing
    // from it would let a change ship nowhere; an extra one would rebuild for nothing.
    const entry = readRepoFile('hack/gitops/images.conf')
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .find((fields) => fields[1] === dockerfile);
    const copied = all
      .flatMap((stage) => stage.instructions)
      .filter((instruction) => instruction.keyword === 'COPY' && !instruction.flags['from'])
      .flatMap(copySources)
      .map((source) => source.replace(/\/$/, ''));
    expect(new Set(entry?.slice(2))).toEqual(new Set([dockerfile, '.dockerignore', ...copied]));
  });

  it('copies from earlier stages only what those stages produce', () => {
    const seen = new Set<string>();
    for (const stage of all) {
      for (const copy of stage.instructions.filter((instruction) => instruction.flags['from'])) {
        const from = copy.flags['from'] ?? '';
        expect([...seen]).toContain(from);
        const source = all.find((candidate) => candidate.name === from) as Stage;
        const producers = [source, ...all.filter((candidate) => candidate.name === source.base)];
        const npmInstalls = producers.some((producer) =>
          producer.instructions.some(
            (instruction) =>
              instruction.keyword === 'RUN' && / npm ci /.test(` ${instruction.raw} `),
          ),
        );
        for (const sourcePath of copySources(copy)) {
          expect(sourcePath.startsWith('/src/')).toBe(true);
          const inRepo = sourcePath.slice('/src/'.length);
          if (inRepo.split('/').includes('node_modules'))
            expect({ sourcePath, npmInstalls }).toEqual({ sourcePath, npmInstalls: true });
          // dist/ exists here because `npm run build` (the same script the stage runs) ran before the tests.
          else
            expect({ sourcePath, exists: existsSync(repoPath(inRepo)) }).toEqual({
              sourcePath,
              exists: true,
            });
        }
      }
      if (stage.name) seen.add(stage.name);
    }
  });

  it('copies the manifest of every npm workspace, so npm ci can check the whole lock file', () => {
    const rootPackage = JSON.parse(readRepoFile('package.json')) as { workspaces: string[] };
    const copied = all.flatMap((stage) =>
      stage.instructions
        .filter((instruction) => instruction.keyword === 'COPY' && !instruction.flags['from'])
        .flatMap(copySources),
    );
    for (const workspace of rootPackage.workspaces)
      expect(copied).toContain(`${workspace}/package.json`);
  });

  it('installs the root build tools (TypeScript is a root devDependency) for the build', () => {
    const build = all.find((stage) => stage.name === 'build') as Stage;
    const install = build.instructions.find((instruction) =>
      / npm ci /.test(` ${instruction.raw} `),
    );
    expect(install?.raw).toContain('--include-workspace-root');
  });

  it("builds with the workspace's own npm build script and installs production dependencies only for the runtime", () => {
    expect(workspacePackage.scripts?.['build']).toBeDefined();
    const runs = all.flatMap((stage) =>
      stage.instructions.filter((instruction) => instruction.keyword === 'RUN'),
    );
    expect(runs.map((instruction) => instruction.raw)).toContainEqual(
      `npm run build --workspace ${workspace}`,
    );
    const runtimeDependencies = all.find(
      (stage) => stage.name === 'production-dependencies',
    ) as Stage;
    expect(
      runtimeDependencies.instructions.some((instruction) =>
        / npm ci --omit=dev /.test(` ${instruction.raw} `),
      ),
    ).toBe(true);
    const nodeModulesCopies = runtime.instructions.filter(
      (instruction) =>
        instruction.keyword === 'COPY' &&
        copySources(instruction).some((source) => source.includes('node_modules')),
    );
    expect(nodeModulesCopies.length).toBeGreaterThan(0);
    for (const copy of nodeModulesCopies)
      expect(copy.flags['from']).toBe('production-dependencies');
  });

  it('runs as a numeric non-root user, without a shell or npm in the way of signals', () => {
    const user = only(runtime, 'USER').args[0] ?? '';
    expect(user).toMatch(/^[1-9][0-9]*:[1-9][0-9]*$/);
    expect(only(runtime, 'WORKDIR').args).toEqual([workdir]);
    const entry = only(runtime, 'ENTRYPOINT');
    expect(entry.raw.startsWith('[')).toBe(true);
    expect(entry.args).toEqual(entrypoint);
    expect(only(runtime, 'HEALTHCHECK').raw.startsWith('CMD [')).toBe(true);
    expect(dockerfileCommand(dockerfile, 'HEALTHCHECK')[0]).toBe('node');
  });

  it('maps every runtime COPY into the working directory or the hoisted /node_modules', () => {
    for (const copy of runtime.instructions.filter(
      (instruction) => instruction.keyword === 'COPY',
    )) {
      const destination = copyDestination(copy, workdir);
      expect(
        destination === '/node_modules' ||
          destination.startsWith(`${workdir}/`) ||
          destination === workdir,
      ).toBe(true);
    }
  });
});

describe('.dockerignore', () => {
  it('keeps local build output, dependencies and secrets out of the build context', () => {
    for (const excluded of [
      'node_modules',
      'app/node_modules',
      'app/dist',
      'operator/dist',
      '.git',
      'data/x.sqlite',
      '.env',
      'app/.env',
    ]) {
      expect({ excluded, ignored: isIgnored(excluded, dockerignore) }).toEqual({
        excluded,
        ignored: true,
      });
    }
  });

  it('applies the last matching pattern, with ! re-including', () => {
    expect(isIgnored('docs/a.md', 'docs\n!docs/a.md')).toBe(false);
    expect(isIgnored('docs/b.md', 'docs\n!docs/a.md')).toBe(true);
    expect(isIgnored('src/x/node_modules/y', '**/node_modules')).toBe(true);
  });
});
