// hack/local-cluster/npm-build-config.sh: the npm settings an image build gets must trust
// what the host trusts, whichever way the host says it (issue 14: a host whose CA came only
// from NODE_EXTRA_CA_CERTS and the system Node's global npmrc failed every image build).
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { repoPath, run, type CommandResult } from './support.js';

const script = repoPath('hack/local-cluster/npm-build-config.sh');

function pem(body: string): string {
  return `-----BEGIN CERTIFICATE-----\n${body}\n-----END CERTIFICATE-----\n`;
}

/** The certificate bodies of a PEM file, in order. */
function bodies(file: string): string[] {
  return [
    ...readFileSync(file, 'utf8').matchAll(/-----BEGIN CERTIFICATE-----\n(.*?)\n-----END/gs),
  ].map((match) => match[1]);
}

describe('npm-build-config.sh', () => {
  let dir: string;
  let out: string;
  let systemBundle: string;

  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'npm-build-config-'));
    out = path.join(dir, 'out');
    systemBundle = file('system.pem', pem('SYSTEM'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  function file(name: string, content: string): string {
    const at = path.join(dir, name);
    writeFileSync(at, content);
    return at;
  }

  /** Runs the script with only the given host set-up: no npm_config_* or CA variable of ours leaks in. */
  function derive(env: Record<string, string> = {}): CommandResult {
    const clean = Object.fromEntries(
      Object.entries(process.env).filter(
        ([key]) => !/^npm_/i.test(key) && !['NODE_EXTRA_CA_CERTS', 'SSL_CERT_FILE'].includes(key),
      ),
    );
    return run(script, [out], {
      cwd: dir,
      env: {
        ...clean,
        HOME: dir,
        npm_config_userconfig: path.join(dir, 'no-user-npmrc'),
        npm_config_globalconfig: path.join(dir, 'no-global-npmrc'),
        SYSTEM_CA_BUNDLE: systemBundle,
        ...env,
      },
    });
  }

  function npmrc(): string {
    return readFileSync(path.join(out, 'npmrc'), 'utf8');
  }

  it('takes the cafile of the user npmrc, and keeps the system roots beside it', () => {
    const ca = file('user-ca.pem', pem('USER'));
    const user = file('user-npmrc', `cafile=${ca}\n`);
    const result = derive({ npm_config_userconfig: user });
    expect(result.status).toBe(0);
    expect(bodies(path.join(out, 'ca.pem'))).toEqual(['USER', 'SYSTEM']);
    expect(npmrc()).toContain('cafile=/usr/local/etc/ca.pem\n');
    expect(result.stdout).toContain('2 CA certificates from: npm cafile, system bundle');
  });

  it('takes the cafile of the global npmrc (another Node.js prefix than the one on PATH)', () => {
    const ca = file('global-ca.pem', pem('GLOBAL'));
    const global = file('global-npmrc', `cafile=${ca}\n`);
    expect(derive({ npm_config_globalconfig: global }).status).toBe(0);
    expect(bodies(path.join(out, 'ca.pem'))).toEqual(['GLOBAL', 'SYSTEM']);
  });

  it('takes the inline ca list of an npmrc', () => {
    const user = file(
      'user-npmrc',
      'ca[]="-----BEGIN CERTIFICATE-----\\nONE\\n-----END CERTIFICATE-----"\n' +
        'ca[]="-----BEGIN CERTIFICATE-----\\nTWO\\n-----END CERTIFICATE-----"\n',
    );
    expect(derive({ npm_config_userconfig: user }).status).toBe(0);
    expect(bodies(path.join(out, 'ca.pem'))).toEqual(['ONE', 'TWO', 'SYSTEM']);
  });

  it('takes NODE_EXTRA_CA_CERTS, which the build cannot see otherwise', () => {
    const extra = file('extra.pem', pem('EXTRA'));
    const result = derive({ NODE_EXTRA_CA_CERTS: extra });
    expect(result.status).toBe(0);
    expect(bodies(path.join(out, 'ca.pem'))).toEqual(['EXTRA', 'SYSTEM']);
    expect(result.stdout).toContain('from: NODE_EXTRA_CA_CERTS, system bundle');
  });

  it('takes SSL_CERT_FILE', () => {
    const ssl = file('ssl.pem', pem('SSL'));
    expect(derive({ SSL_CERT_FILE: ssl }).status).toBe(0);
    expect(bodies(path.join(out, 'ca.pem'))).toEqual(['SSL', 'SYSTEM']);
  });

  it('takes the system bundle alone when nothing else is said', () => {
    const result = derive();
    expect(result.status).toBe(0);
    expect(bodies(path.join(out, 'ca.pem'))).toEqual(['SYSTEM']);
    expect(result.stdout).toContain('1 CA certificates from: system bundle');
  });

  it('merges every source, each certificate once (whitespace and CRLF aside)', () => {
    const shared = pem('SHARED');
    const ca = file('user-ca.pem', shared + pem('USER'));
    const user = file('user-npmrc', `cafile=${ca}\n`);
    const sharedWithCrlf = shared.replaceAll('\n', ' \r\n');
    const extra = file('extra.pem', sharedWithCrlf + pem('EXTRA'));
    systemBundle = file('system.pem', pem('SYSTEM') + shared);
    const result = derive({
      npm_config_userconfig: user,
      NODE_EXTRA_CA_CERTS: extra,
      SSL_CERT_FILE: ca,
    });
    expect(result.status).toBe(0);
    expect(bodies(path.join(out, 'ca.pem'))).toEqual(['SHARED', 'USER', 'EXTRA', 'SYSTEM']);
  });

  it('passes the registry on, and strict-ssl=false when the host turned it off', () => {
    const user = file('user-npmrc', 'registry=https://npm.example.test/repo/\nstrict-ssl=false\n');
    expect(derive({ npm_config_userconfig: user }).status).toBe(0);
    expect(npmrc()).toBe(
      'registry=https://npm.example.test/repo/\ncafile=/usr/local/etc/ca.pem\nstrict-ssl=false\n',
    );
  });

  it('writes npm default registry and no strict-ssl line when nothing is configured', () => {
    expect(derive().status).toBe(0);
    expect(npmrc()).toBe('registry=https://registry.npmjs.org/\ncafile=/usr/local/etc/ca.pem\n');
  });

  it.each([
    ['NODE_EXTRA_CA_CERTS', { NODE_EXTRA_CA_CERTS: '/nonexistent/extra.pem' }],
    ['SSL_CERT_FILE', { SSL_CERT_FILE: '/nonexistent/ssl.pem' }],
  ])('fails naming %s when it names a missing file', (name, env) => {
    const result = derive(env);
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `npm-build-config: ${name} names ${Object.values(env)[0]}, which is missing or unreadable\n`,
    );
    expect(existsSync(path.join(out, 'npmrc'))).toBe(false);
  });

  it('fails naming npm cafile when it names a file without certificates', () => {
    const notPem = file('not-a-cert.pem', 'hello\n');
    const user = file('user-npmrc', `cafile=${notPem}\n`);
    const result = derive({ npm_config_userconfig: user });
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      `npm-build-config: npm cafile names ${notPem}, which holds no PEM certificate\n`,
    );
  });
});
