import {
  credentialsFor,
  credentialsFromPullSecrets,
  InvalidPullSecretError,
} from './credentials.js';
import { parseChallenge } from './client.js';
import { InvalidReferenceError, parseImageReference, pinnedReference } from './reference.js';
import type { V1Secret } from '@kubernetes/client-node';

const digest = 'sha256:' + 'ab'.repeat(32);

describe('parseImageReference', () => {
  it('reads registry, repository, tag and digest', () => {
    expect(parseImageReference('ghcr.io/example/notejam:dev')).toEqual({
      registry: 'ghcr.io',
      apiHost: 'ghcr.io',
      repository: 'example/notejam',
      tag: 'dev',
      name: 'ghcr.io/example/notejam:dev',
    });
    expect(parseImageReference(`127.0.0.1:5000/notejam:v1@${digest}`)).toMatchObject({
      registry: '127.0.0.1:5000',
      repository: 'notejam',
      tag: 'v1',
      digest,
      name: '127.0.0.1:5000/notejam:v1',
    });
    expect(parseImageReference(`localhost/app@${digest}`)).toMatchObject({
      registry: 'localhost',
      digest,
    });
  });

  it('applies Docker Hub’s defaults', () => {
    expect(parseImageReference('nginx:1.27')).toMatchObject({
      registry: 'docker.io',
      apiHost: 'registry-1.docker.io',
      repository: 'library/nginx',
    });
    expect(parseImageReference('example/notejam:v0.1')).toMatchObject({
      repository: 'example/notejam',
    });
    expect(parseImageReference('index.docker.io/example/notejam:v0.1')).toMatchObject({
      registry: 'docker.io',
    });
  });

  it('refuses malformed references', () => {
    for (const bad of [
      '',
      'UPPER/case:x',
      'a@b@c',
      'repo:bad tag',
      'repo@sha256:short',
      'host.io/:x',
    ]) {
      expect(() => parseImageReference(bad)).toThrow(InvalidReferenceError);
    }
  });

  it('pins a reference to a digest, keeping the tag for people', () => {
    expect(pinnedReference(parseImageReference('ghcr.io/e/n:dev'), digest)).toBe(
      `ghcr.io/e/n:dev@${digest}`,
    );
  });
});

describe('pull secret credentials', () => {
  const dockerConfig = (auths: object, name = 'pull'): V1Secret => ({
    metadata: { name },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(JSON.stringify({ auths })).toString('base64') },
  });
  const auth = (user: string, password: string) => ({
    auth: Buffer.from(`${user}:${password}`).toString('base64'),
  });

  it('match the registry host, Docker Hub under any of its names', () => {
    const entries = credentialsFromPullSecrets([
      dockerConfig({ 'https://index.docker.io/v1/': auth('hub', 'h') }),
      dockerConfig({ 'ghcr.io': { username: 'gh', password: 'p:with:colons' } }),
    ]);
    expect(credentialsFor(entries, parseImageReference('example/app:1'))).toEqual({
      username: 'hub',
      password: 'h',
    });
    expect(credentialsFor(entries, parseImageReference('ghcr.io/e/app:1'))).toEqual({
      username: 'gh',
      password: 'p:with:colons',
    });
    expect(credentialsFor(entries, parseImageReference('quay.io/e/app:1'))).toBeUndefined();
  });

  it('prefer a path prefix over the bare host, and an exact host over a wildcard', () => {
    const entries = credentialsFromPullSecrets([
      dockerConfig({
        '*.example.com': auth('wild', 'w'),
        'registry.example.com': auth('host', 'h'),
      }),
      dockerConfig({ 'registry.example.com/team': auth('team', 't') }),
    ]);
    const user = (image: string) => credentialsFor(entries, parseImageReference(image))?.username;
    expect(user('registry.example.com/team/app:1')).toBe('team');
    expect(user('registry.example.com/teamless/app:1')).toBe('host');
    expect(user('other.example.com/app:1')).toBe('wild');
    expect(user('a.b.example.com/app:1')).toBeUndefined();
  });

  it('read the legacy .dockercfg format and skip Secrets of other types', () => {
    const legacy: V1Secret = {
      metadata: { name: 'old' },
      data: {
        '.dockercfg': Buffer.from(JSON.stringify({ 'quay.io': auth('q', 'x') })).toString('base64'),
      },
    };
    const entries = credentialsFromPullSecrets([
      legacy,
      { metadata: { name: 'opaque' }, data: { key: 'dmFsdWU=' } },
    ]);
    expect(credentialsFor(entries, parseImageReference('quay.io/e/app:1'))).toEqual({
      username: 'q',
      password: 'x',
    });
  });

  it('name the Secret when it is broken', () => {
    const broken: V1Secret = {
      metadata: { name: 'broken' },
      data: { '.dockerconfigjson': Buffer.from('{').toString('base64') },
    };
    expect(() => credentialsFromPullSecrets([broken])).toThrow(
      new InvalidPullSecretError('pull secret broken: .dockerconfigjson is not JSON'),
    );
    const noColon = dockerConfig(
      { 'ghcr.io': { auth: Buffer.from('nocolon').toString('base64') } },
      'bad',
    );
    expect(() => credentialsFromPullSecrets([noColon])).toThrow(
      /pull secret bad: the auth of "ghcr.io"/,
    );
  });
});

describe('parseChallenge', () => {
  it('reads the scheme and its parameters', () => {
    expect(
      parseChallenge(
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example.com/token',
        service: 'registry.example.com',
        scope: 'repository:a/b:pull',
      },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry Realm' },
    });
    expect(parseChallenge('Bearer realm=plain, error="insufficient_scope"')?.params).toEqual({
      realm: 'plain',
      error: 'insufficient_scope',
    });
  });
});
