// The local cluster's git server (hack/gitops/git-server) for real: built from its source,
// serving a bare repository through git's http-backend to the git command line. A push
// larger than git's http.postBuffer goes as a chunked body, which CGI cannot take as it is:
// the server must hand it on whole (seeding the GitOps repository is such a push), and
// refuse, naming the limit, one larger than -max-body without changing the repository.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { freePorts } from '../envtest/control-plane.js';
import { repoPath, run, runOk } from './support.js';

jest.setTimeout(180_000);

/** git's default http.postBuffer: a bigger request body is sent chunked. */
const postBuffer = 1 << 20;
const maxBody = 4 << 20;

let workDir: string;
let server: ChildProcess;
let logFile: string;
let url: string;

/** A new repository with one commit holding `bytes` random (incompressible) bytes. */
function repositoryWith(name: string, bytes: number): string {
  const dir = path.join(workDir, name);
  runOk('git', ['init', '--quiet', '--initial-branch=dev', dir]);
  writeFileSync(path.join(dir, 'payload.bin'), randomBytes(bytes));
  runOk('git', ['-C', dir, 'add', 'payload.bin']);
  runOk('git', [
    '-C',
    dir,
    '-c',
    'user.name=git-server test',
    '-c',
    'user.email=git-server-test@notejam.invalid',
    'commit',
    '--quiet',
    '-m',
    `${bytes} random bytes`,
  ]);
  return dir;
}

function push(dir: string, branch: string) {
  return run('git', [
    '-C',
    dir,
    '-c',
    `http.postBuffer=${postBuffer}`,
    'push',
    `${url}/notejam.git`,
    `HEAD:refs/heads/${branch}`,
  ]);
}

function remoteBranches(): string {
  return runOk('git', ['ls-remote', '--heads', `${url}/notejam.git`]);
}

beforeAll(async () => {
  workDir = mkdtempSync(path.join(tmpdir(), 'notejam-git-server-'));
  const binary = path.join(workDir, 'git-server');
  runOk('go', ['build', '-trimpath', '-o', binary, '.'], {
    cwd: repoPath('hack/gitops/git-server'),
  });
  runOk('git', ['init', '--quiet', '--bare', path.join(workDir, 'repositories/notejam.git')]);
  const [port] = await freePorts(1);
  url = `http://127.0.0.1:${port}`;
  logFile = path.join(workDir, 'git-server.log');
  // Its log goes to a file, not a pipe: the git commands below run synchronously.
  const log = openSync(logFile, 'a');
  server = spawn(
    binary,
    [
      '-listen',
      `127.0.0.1:${port}`,
      '-root',
      path.join(workDir, 'repositories'),
      '-max-body',
      String(maxBody),
    ],
    { stdio: ['ignore', log, log] },
  );
  closeSync(log);
  for (let attempt = 0; ; attempt++) {
    const answered = await fetch(`${url}/`).then(
      () => true,
      () => false,
    );
    if (answered) break;
    if (attempt === 100 || server.exitCode !== null) {
      throw new Error(`the git server did not start:\n${readFileSync(logFile, 'utf8')}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
});

afterAll(() => {
  server?.kill();
  rmSync(workDir, { recursive: true, force: true });
});

describe('hack/gitops/git-server', () => {
  it('takes a push larger than git sends in one piece (chunked), and serves it back whole', () => {
    const source = repositoryWith('large', 2 * postBuffer);
    const pushed = push(source, 'dev');
    if (pushed.status !== 0) {
      throw new Error(
        `the push failed:\n${pushed.stderr}--- server log ---\n${readFileSync(logFile, 'utf8')}`,
      );
    }
    const clone = path.join(workDir, 'clone');
    runOk('git', ['clone', '--quiet', '--branch', 'dev', `${url}/notejam.git`, clone]);
    expect(runOk('git', ['-C', clone, 'rev-parse', 'HEAD'])).toBe(
      runOk('git', ['-C', source, 'rev-parse', 'HEAD']),
    );
    expect(readFileSync(path.join(clone, 'payload.bin'))).toEqual(
      readFileSync(path.join(source, 'payload.bin')),
    );
  });

  it('refuses a chunked push over -max-body with 413 and leaves the repository as it was', () => {
    const before = remoteBranches();
    const pushed = push(repositoryWith('too-large', 2 * maxBody), 'too-large');
    expect(pushed.status).not.toBe(0);
    expect(pushed.stderr).toContain('413');
    expect(readFileSync(logFile, 'utf8')).toMatch(/POST \/notejam\.git\/git-receive-pack\S* 413 /);
    expect(remoteBranches()).toBe(before);
  });
});
