// A small Dockerfile reader for the tests: enough of the syntax (line continuations,
// comments, parser directives, JSON and shell forms, flags) to check what our Dockerfiles
// copy and run. Not a general-purpose parser.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { repoPath } from './support.js';

export interface Instruction {
  keyword: string; // upper case, e.g. COPY
  flags: Record<string, string>; // --from=build -> { from: 'build' }
  args: string[]; // JSON form decoded, shell form split on whitespace outside double quotes
  raw: string; // the arguments as written (continuations joined)
  line: number;
}

export interface Stage {
  name: string | undefined;
  base: string;
  instructions: Instruction[];
}

export function parseDockerfile(text: string): Instruction[] {
  const instructions: Instruction[] = [];
  const lines = text.split('\n');
  for (let index = 0; index < lines.length; index += 1) {
    const startLine = index + 1;
    let logical = lines[index] ?? '';
    if (/^\s*(#|$)/.test(logical)) continue;
    while (logical.endsWith('\\') && index + 1 < lines.length) {
      index += 1;
      const next = lines[index] ?? '';
      if (/^\s*#/.test(next)) continue; // comment lines inside a continuation are dropped
      logical = `${logical.slice(0, -1)} ${next.trim()}`;
    }
    const match = /^\s*([A-Za-z]+)\s+(.*)$/.exec(logical);
    if (!match) throw new Error(`line ${startLine}: not an instruction: ${logical}`);
    const keyword = (match[1] ?? '').toUpperCase();
    let rest = (match[2] ?? '').trim();
    const flags: Record<string, string> = {};
    if (keyword !== 'RUN' || rest.startsWith('--')) {
      for (
        let flag = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest);
        flag;
        flag = /^--([a-z-]+)(?:=(\S*))?\s+/.exec(rest)
      ) {
        flags[flag[1] ?? ''] = flag[2] ?? 'true';
        rest = rest.slice(flag[0].length);
      }
    }
    instructions.push({
      keyword,
      flags,
      args: splitArguments(keyword, rest),
      raw: rest,
      line: startLine,
    });
  }
  return instructions;
}

function splitArguments(keyword: string, rest: string): string[] {
  if (rest.startsWith('[')) {
    const decoded: unknown = JSON.parse(rest);
    if (!Array.isArray(decoded) || !decoded.every((item) => typeof item === 'string')) {
      throw new Error(`${keyword}: the JSON form must be an array of strings: ${rest}`);
    }
    return decoded;
  }
  // As Docker reads ENV: double quotes keep spaces inside a word and are removed
  // (NODE_OPTIONS="--a --b" is one variable).
  return (rest.match(/(?:[^\s"]+|"[^"]*")+/g) ?? []).map((word) => word.replaceAll('"', ''));
}

export interface ImageSpec {
  dockerfile: string;
  workspace: 'app' | 'operator';
  workdir: string;
  entrypoint: string[];
}

/** Our two images and what their runtime stage must look like (the contract with the operator). */
export const images: ImageSpec[] = [
  {
    dockerfile: 'Dockerfile.app',
    workspace: 'app',
    workdir: '/app',
    entrypoint: ['node', 'dist/cli.js'],
  },
  {
    dockerfile: 'Dockerfile.operator',
    workspace: 'operator',
    workdir: '/operator',
    entrypoint: [
      'node',
      '--max-old-space-size-percentage=50',
      '--max-semi-space-size=4',
      '--optimize-for-size',
      'dist/main.js',
    ],
  },
];

export function stages(instructions: Instruction[]): Stage[] {
  const result: Stage[] = [];
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') {
      const [base = '', as, name] = instruction.args;
      result.push({ base, name: as?.toUpperCase() === 'AS' ? name : undefined, instructions: [] });
    } else if (result.length > 0) {
      result[result.length - 1]?.instructions.push(instruction);
    }
  }
  return result;
}

/** Default values of the global ARGs (before the first FROM). */
export function globalArgs(instructions: Instruction[]): Record<string, string> {
  const values: Record<string, string> = {};
  for (const instruction of instructions) {
    if (instruction.keyword === 'FROM') break;
    if (instruction.keyword === 'ARG') {
      const [name = '', value = ''] = (instruction.args[0] ?? '').split('=');
      values[name] = value;
    }
  }
  return values;
}

/** The sources of a COPY (everything but its destination). */
export function copySources(instruction: Instruction): string[] {
  return instruction.args.slice(0, -1);
}

export function copyDestination(instruction: Instruction, workdir: string): string {
  const destination = instruction.args[instruction.args.length - 1] ?? '';
  return path.posix.resolve(workdir, destination);
}

/**
 * Whether .dockerignore excludes a path of the build context: the last matching pattern
 * wins, `!` re-includes, and a pattern matching a parent directory excludes its contents.
 */
export function isIgnored(relativePath: string, dockerignore: string): boolean {
  const patterns = dockerignore
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  const parts = path.posix.normalize(relativePath).replace(/\/$/, '').split('/');
  let ignored = false;
  for (const pattern of patterns) {
    const negated = pattern.startsWith('!');
    const glob = path.posix.normalize(negated ? pattern.slice(1) : pattern).replace(/^\//, '');
    for (let depth = 1; depth <= parts.length; depth += 1) {
      if (path.posix.matchesGlob(parts.slice(0, depth).join('/'), glob)) {
        ignored = !negated;
        break;
      }
    }
  }
  return ignored;
}

export function finalStage(all: Stage[]): Stage {
  const last = all[all.length - 1];
  if (!last) throw new Error('no stage');
  return last;
}

/** The runtime stage's ENV, as a map. */
export function dockerfileEnv(dockerfile: string): Record<string, string> {
  const runtime = finalStage(stages(parseDockerfile(readFileSync(repoPath(dockerfile), 'utf8'))));
  const env: Record<string, string> = {};
  for (const instruction of runtime.instructions.filter(
    (candidate) => candidate.keyword === 'ENV',
  )) {
    for (const pair of instruction.args) {
      const [name = '', ...value] = pair.split('=');
      env[name] = value.join('=');
    }
  }
  return env;
}

export function dockerfileCommand(
  dockerfile: string,
  keyword: 'ENTRYPOINT' | 'CMD' | 'HEALTHCHECK',
): string[] {
  const runtime = finalStage(stages(parseDockerfile(readFileSync(repoPath(dockerfile), 'utf8'))));
  const instruction = runtime.instructions.find((candidate) => candidate.keyword === keyword);
  if (!instruction) throw new Error(`${dockerfile} has no ${keyword}`);
  if (keyword !== 'HEALTHCHECK') return instruction.args;
  // HEALTHCHECK [flags] CMD ["node", ...]: the JSON array after CMD.
  return JSON.parse(instruction.raw.slice(instruction.raw.indexOf('['))) as string[];
}

/** The repository directory an image's WORKDIR mirrors (/app -> app/). */
export function repoDirectoryOf(workdir: string): string {
  return repoPath(path.posix.basename(workdir));
}
