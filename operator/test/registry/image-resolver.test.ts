// The mutable-tag mechanism against a real OCI distribution registry: a tag pushed again
// resolves to a new digest; credentials come from a dockerconfigjson pull Secret (Basic
// and Bearer-token registries); failures keep the last known digest.
import { jest } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Secret } from '@kubernetes/client-node';
import { resolveDigest } from '../../src/registry/client.js';
import { parseImageReference } from '../../src/registry/reference.js';
import { ImageResolver } from '../../src/registry/resolver.js';
import { startTestRegistry, testAccount, type TestRegistry } from '../support/oci-registry.js';

jest.setTimeout(120_000);

function pullSecret(host: string, password = testAccount.password): V1Secret {
  const auth = Buffer.from(`${testAccount.username}:${password}`).toString('base64');
  const config = JSON.stringify({ auths: { [host]: { auth } } });
  return {
    metadata: { name: 'registry-credentials' },
    type: 'kubernetes.io/dockerconfigjson',
    data: { '.dockerconfigjson': Buffer.from(config).toString('base64') },
  };
}

/** A clock the test moves forward by hand. */
function manualClock() {
  let now = Date.parse('2026-01-01T00:00:00Z');
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('ImageResolver on an anonymous registry', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startTestRegistry('none');
  });
  afterAll(() => registry?.stop());

  it('follows a tag that is pushed again, once per interval', async () => {
    const clock = manualClock();
    const resolver = new ImageResolver({ intervalMs: 60_000, now: clock.now });
    const image = `${registry.host}/notejam/app:dev`;
    const request = { key: 'notejam-dev/notejam', image, pullSecrets: [] };

    const first = await registry.pushImage('notejam/app', 'dev');
    expect(await resolver.resolve(request)).toEqual({
      image: `${image}@${first}`,
      digest: first,
      source: 'registry',
      recheckAfterMs: 60_000,
    });

    const second = await registry.pushImage('notejam/app', 'dev');
    expect(second).not.toBe(first);
    clock.advance(59_000);
    expect(await resolver.resolve(request)).toMatchObject({ digest: first, recheckAfterMs: 1_000 });
    clock.advance(1_000);
    expect(await resolver.resolve(request)).toMatchObject({
      image: `${image}@${second}`,
      digest: second,
    });
  });

  it('resolves again at once when spec.image changes', async () => {
    const resolver = new ImageResolver({ intervalMs: 3_600_000 });
    const v1 = await registry.pushImage('notejam/app', 'v1');
    const v2 = await registry.pushImage('notejam/app', 'v2');
    const request = { key: 'ns/app', pullSecrets: [] };
    expect(
      (await resolver.resolve({ ...request, image: `${registry.host}/notejam/app:v1` })).digest,
    ).toBe(v1);
    expect(
      (await resolver.resolve({ ...request, image: `${registry.host}/notejam/app:v2` })).digest,
    ).toBe(v2);
  });

  it('uses an image pinned by digest as it is, without asking the registry', async () => {
    const resolver = new ImageResolver();
    const pinned = `127.0.0.1:1/notejam/app@sha256:${'0'.repeat(64)}`;
    expect(await resolver.resolve({ key: 'ns/pinned', image: pinned, pullSecrets: [] })).toEqual({
      image: pinned,
      digest: `sha256:${'0'.repeat(64)}`,
      source: 'spec',
    });
  });

  it('reports a missing tag and deploys nothing pinned', async () => {
    const resolver = new ImageResolver();
    const image = `${registry.host}/notejam/app:missing`;
    expect(await resolver.resolve({ key: 'ns/missing', image, pullSecrets: [] })).toEqual({
      image,
      source: 'unresolved',
      error: {
        reason: 'RegistryNotFound',
        message: `${registry.host}: notejam/app:missing not found`,
      },
      recheckAfterMs: 30_000,
    });
  });
});

describe('resolveDigest from a registry that sends no digest header', () => {
  it('hashes the manifest bytes, which give the same digest', async () => {
    const registry = await startTestRegistry('none');
    // In front of the real registry: passes everything on, minus Docker-Content-Digest.
    const proxy = createServer((request, response) => {
      void fetch(`http://${registry.host}${request.url ?? '/'}`, {
        method: request.method,
        headers: { accept: request.headers.accept ?? '*/*' },
      }).then(async (upstream) => {
        const headers = Object.fromEntries(
          [...upstream.headers].filter(
            ([name]) =>
              !['docker-content-digest', 'content-length', 'transfer-encoding'].includes(name),
          ),
        );
        response.writeHead(upstream.status, headers);
        response.end(Buffer.from(await upstream.arrayBuffer()));
      });
    });
    await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
    try {
      const digest = await registry.pushImage('notejam/app', 'v1');
      const { port } = proxy.address() as AddressInfo;
      const reference = parseImageReference(`127.0.0.1:${port}/notejam/app:v1`);
      expect(await resolveDigest(reference, { plainHttp: true })).toBe(digest);
    } finally {
      await new Promise((resolve) => proxy.close(resolve));
      await registry.stop();
    }
  });
});

describe('ImageResolver when the registry goes away', () => {
  it('keeps the last known digest and reports the error', async () => {
    const registry = await startTestRegistry('none');
    const clock = manualClock();
    const resolver = new ImageResolver({
      intervalMs: 60_000,
      retryAfterFailureMs: 5_000,
      timeoutMs: 2_000,
      now: clock.now,
    });
    const image = `${registry.host}/notejam/app:dev`;
    const request = { key: 'ns/flaky', image, pullSecrets: [] };
    const digest = await registry.pushImage('notejam/app', 'dev');
    expect((await resolver.resolve(request)).digest).toBe(digest);
    await registry.stop();

    clock.advance(60_000);
    const kept = await resolver.resolve(request);
    expect(kept).toMatchObject({
      image: `${image}@${digest}`,
      digest,
      source: 'lastKnown',
      recheckAfterMs: 5_000,
    });
    expect(kept.error?.reason).toBe('RegistryUnreachable');
    expect(kept.error?.message).toContain(registry.host);

    // A restarted operator has no cache: the digest in status keeps the instance where it is.
    const restarted = new ImageResolver({ timeoutMs: 2_000 });
    const fromStatus = await restarted.resolve({ ...request, deployedImage: `${image}@${digest}` });
    expect(fromStatus).toMatchObject({ image: `${image}@${digest}`, source: 'lastKnown' });
    // ... but only when status describes the same image.
    const otherTag = await restarted.resolve({
      ...request,
      deployedImage: `${registry.host}/notejam/app:v0@${digest}`,
    });
    expect(otherTag).toMatchObject({ image, source: 'unresolved' });
  });
});

describe('ImageResolver with credentials', () => {
  for (const auth of ['basic', 'token'] as const) {
    describe(`on a registry with ${auth} auth`, () => {
      let registry: TestRegistry;
      beforeAll(async () => {
        registry = await startTestRegistry(auth);
      });
      afterAll(() => registry?.stop());

      it('resolves with the pull Secret’s credentials, following new pushes', async () => {
        const clock = manualClock();
        const resolver = new ImageResolver({ intervalMs: 1_000, now: clock.now });
        const image = `${registry.host}/private/app:dev`;
        const request = { key: 'ns/private', image, pullSecrets: [pullSecret(registry.host)] };
        const first = await registry.pushImage('private/app', 'dev');
        expect(await resolver.resolve(request)).toMatchObject({
          digest: first,
          source: 'registry',
        });
        const second = await registry.pushImage('private/app', 'dev');
        clock.advance(1_000);
        expect(await resolver.resolve(request)).toMatchObject({
          image: `${image}@${second}`,
          source: 'registry',
        });
      });

      it('reports Unauthorized without a matching Secret or with a wrong password', async () => {
        await registry.pushImage('private/app', 'dev');
        const image = `${registry.host}/private/app:dev`;
        const resolver = new ImageResolver();
        const anonymous = await resolver.resolve({ key: 'ns/anon', image, pullSecrets: [] });
        expect(anonymous).toMatchObject({
          image,
          source: 'unresolved',
          error: { reason: 'RegistryUnauthorized' },
        });
        const wrong = await resolver.resolve({
          key: 'ns/wrong',
          image,
          pullSecrets: [pullSecret(registry.host, 'not-the-password')],
        });
        expect(wrong).toMatchObject({
          source: 'unresolved',
          error: { reason: 'RegistryUnauthorized' },
        });
      });
    });
  }
});
