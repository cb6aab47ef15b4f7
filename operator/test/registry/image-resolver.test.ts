// The mutable-tag mechanism against a real OCI distribution registry: a reconcile only
// reads the resolver's cache; resolutions run in the background, once per (image,
// credentials) however many instances ask, and tell their subscribers when the answer
// changes. Credentials come from a dockerconfigjson pull Secret (Basic and Bearer-token
// registries; a token is reused for its lifetime); failures keep the last known digest;
// a registry that never answers holds only its own slots.
import { jest } from '@jest/globals';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { V1Secret } from '@kubernetes/client-node';
import { resolveDigest } from '../../src/registry/client.js';
import { parseImageReference } from '../../src/registry/reference.js';
import { ImageResolver, type ImageResolverOptions } from '../../src/registry/resolver.js';
import { startTestRegistry, testAccount, type TestRegistry } from '../support/oci-registry.js';
import { startBlackHole, startCountingProxy } from '../support/registry-network.js';
import { waitFor } from '../integration/support.js';

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

/** A resolver whose onChange calls are recorded, to wait for the next one. */
function recordingResolver(options: ImageResolverOptions = {}) {
  const changes: string[][] = [];
  let resolutions = 0;
  const resolver = new ImageResolver({ ...options, onResolved: () => resolutions++ });
  resolver.onChange((subscribers) => changes.push(subscribers));
  resolvers.push(resolver);
  return {
    resolver,
    changes,
    resolutions: () => resolutions,
    /** Resolves once `subscriber` has been told of a change (beyond the first `after` ones). */
    changed: (subscriber: string, after = 0) =>
      waitFor(`a change for ${subscriber}`, () =>
        changes.slice(after).some((subscribers) => subscribers.includes(subscriber)),
      ),
  };
}

const resolvers: ImageResolver[] = [];
afterEach(() => {
  for (const resolver of resolvers.splice(0)) resolver.stop();
});

describe('ImageResolver on an anonymous registry', () => {
  let registry: TestRegistry;
  beforeAll(async () => {
    registry = await startTestRegistry('none');
  });
  afterAll(() => registry?.stop());

  it('answers from its cache at once and tells the instance when the digest is known, then when it changes', async () => {
    const { resolver, changes, changed } = recordingResolver({ intervalMs: 200 });
    const image = `${registry.host}/notejam/app:dev`;
    const request = { subscriber: 'notejam-dev/notejam', image, pullSecrets: [] };

    const first = await registry.pushImage('notejam/app', 'dev');
    expect(resolver.lookup(request)).toEqual({ image, source: 'pending' });
    await changed(request.subscriber);
    expect(resolver.lookup(request)).toEqual({
      image: `${image}@${first}`,
      digest: first,
      source: 'registry',
    });

    const seen = changes.length;
    const second = await registry.pushImage('notejam/app', 'dev');
    expect(second).not.toBe(first);
    await changed(request.subscriber, seen);
    expect(resolver.lookup(request)).toMatchObject({
      image: `${image}@${second}`,
      digest: second,
      source: 'registry',
    });
  });

  it('resolves a tag once for all the instances that use it, however many ask at once', async () => {
    const proxy = await startCountingProxy(registry.host);
    try {
      const digest = await registry.pushImage('notejam/shared', 'v1');
      const { resolver, changes, changed } = recordingResolver({ intervalMs: 3_600_000 });
      const image = `${proxy.host}/notejam/shared:v1`;
      const subscribers = Array.from({ length: 50 }, (_, i) => `ns/instance-${i}`);
      for (const subscriber of subscribers)
        expect(resolver.lookup({ subscriber, image, pullSecrets: [] }).source).toBe('pending');
      await changed('ns/instance-49');
      expect(changes).toEqual([subscribers]);
      expect(proxy.requests()).toEqual(['HEAD /v2/notejam/shared/manifests/v1']);
      for (const subscriber of subscribers)
        expect(resolver.lookup({ subscriber, image, pullSecrets: [] }).digest).toBe(digest);
      expect(resolver.size).toBe(1);
    } finally {
      await proxy.close();
    }
  });

  it('follows a changed spec.image at once and drops the key nobody uses any more', async () => {
    const { resolver, changes, changed } = recordingResolver({ intervalMs: 100 });
    const v1 = await registry.pushImage('notejam/app', 'v1');
    const v2 = await registry.pushImage('notejam/app', 'v2');
    const request = { subscriber: 'ns/app', pullSecrets: [] };
    resolver.lookup({ ...request, image: `${registry.host}/notejam/app:v1` });
    await changed('ns/app');
    expect(resolver.lookup({ ...request, image: `${registry.host}/notejam/app:v1` }).digest).toBe(
      v1,
    );
    const seen = changes.length;
    expect(resolver.lookup({ ...request, image: `${registry.host}/notejam/app:v2` }).source).toBe(
      'pending',
    );
    await changed('ns/app', seen);
    expect(resolver.lookup({ ...request, image: `${registry.host}/notejam/app:v2` }).digest).toBe(
      v2,
    );
    await waitFor('the unused v1 key to be dropped', () => resolver.size === 1);
    resolver.forget('ns/app');
    await waitFor('the forgotten v2 key to be dropped', () => resolver.size === 0);
  });

  it('uses an image pinned by digest as it is, without asking the registry', () => {
    const { resolver } = recordingResolver();
    const pinned = `127.0.0.1:1/notejam/app@sha256:${'0'.repeat(64)}`;
    expect(resolver.lookup({ subscriber: 'ns/pinned', image: pinned, pullSecrets: [] })).toEqual({
      image: pinned,
      digest: `sha256:${'0'.repeat(64)}`,
      source: 'spec',
    });
    expect(resolver.size).toBe(0);
  });

  it('says a missing tag is not found (not a transient error), and picks it up once pushed', async () => {
    const { resolver, changes, changed } = recordingResolver({ retryBaseMs: 50 });
    const image = `${registry.host}/notejam/late:v1`;
    const request = { subscriber: 'ns/late', image, pullSecrets: [] };
    expect(resolver.lookup(request).source).toBe('pending');
    await changed('ns/late');
    expect(resolver.lookup(request)).toEqual({
      image,
      source: 'notFound',
      error: {
        reason: 'RegistryNotFound',
        message: `${registry.host}: notejam/late:v1 not found`,
      },
    });
    const seen = changes.length;
    const digest = await registry.pushImage('notejam/late', 'v1');
    await changed('ns/late', seen);
    expect(resolver.lookup(request)).toMatchObject({ digest, source: 'registry' });
  });

  it('keeps at most maxEntries keys, dropping unused ones first', async () => {
    const { resolver, changed } = recordingResolver({ maxEntries: 2, intervalMs: 3_600_000 });
    const image = (tag: string) => `${registry.host}/notejam/bounded:${tag}`;
    await Promise.all(['a', 'b', 'c'].map((tag) => registry.pushImage('notejam/bounded', tag)));
    resolver.lookup({ subscriber: 'ns/one', image: image('a'), pullSecrets: [] });
    resolver.lookup({ subscriber: 'ns/one', image: image('b'), pullSecrets: [] }); // a: unused
    resolver.lookup({ subscriber: 'ns/two', image: image('c'), pullSecrets: [] });
    expect(resolver.size).toBe(2);
    await changed('ns/one');
    await changed('ns/two');
    // Both keys in use survived: their answers are there.
    expect(
      resolver.lookup({ subscriber: 'ns/one', image: image('b'), pullSecrets: [] }).source,
    ).toBe('registry');
    expect(
      resolver.lookup({ subscriber: 'ns/two', image: image('c'), pullSecrets: [] }).source,
    ).toBe('registry');
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
    const { resolver, changes, changed } = recordingResolver({
      intervalMs: 100,
      timeoutMs: 2_000,
    });
    const image = `${registry.host}/notejam/app:dev`;
    const request = { subscriber: 'ns/flaky', image, pullSecrets: [] };
    const digest = await registry.pushImage('notejam/app', 'dev');
    resolver.lookup(request);
    await changed('ns/flaky');
    expect(resolver.lookup(request).digest).toBe(digest);
    const seen = changes.length;
    await registry.stop();

    await changed('ns/flaky', seen);
    const kept = resolver.lookup(request);
    expect(kept).toMatchObject({ image: `${image}@${digest}`, digest, source: 'lastKnown' });
    expect(kept.error?.reason).toBe('RegistryUnreachable');
    expect(kept.error?.message).toContain(registry.host);

    // A restarted operator has no cache: the digest in status keeps the instance where it
    // is, with nothing to report until the registry has answered...
    const restarted = recordingResolver({ timeoutMs: 2_000 });
    const fromStatus = { ...request, deployedImage: `${image}@${digest}` };
    expect(restarted.resolver.lookup(fromStatus)).toEqual({
      image: `${image}@${digest}`,
      digest,
      source: 'lastKnown',
    });
    await restarted.changed('ns/flaky');
    expect(restarted.resolver.lookup(fromStatus)).toMatchObject({
      source: 'lastKnown',
      error: { reason: 'RegistryUnreachable' },
    });
    // ... but only when status describes the same image.
    const otherTag = restarted.resolver.lookup({
      ...request,
      deployedImage: `${registry.host}/notejam/app:v0@${digest}`,
    });
    expect(otherTag).toMatchObject({ image, source: 'unresolved' });
  });
});

describe('ImageResolver with a registry that accepts connections and never answers', () => {
  it('holds only that registry’s slots: another registry’s tag resolves meanwhile', async () => {
    const registry = await startTestRegistry('none');
    const blackHole = await startBlackHole();
    try {
      const { resolver, changes, changed } = recordingResolver({
        timeoutMs: 60_000,
        concurrency: 4,
        perRegistryConcurrency: 2,
      });
      for (let i = 0; i < 20; i++) {
        resolver.lookup({
          subscriber: `ns/stuck-${i}`,
          image: `${blackHole.host}/notejam/app:v${i}`,
          pullSecrets: [],
        });
      }
      await waitFor('the black hole to hold two requests', () => blackHole.open() === 2);
      const digest = await registry.pushImage('notejam/app', 'healthy');
      const healthy = {
        subscriber: 'ns/healthy',
        image: `${registry.host}/notejam/app:healthy`,
        pullSecrets: [],
      };
      expect(resolver.lookup(healthy).source).toBe('pending');
      await changed('ns/healthy');
      expect(resolver.lookup(healthy).digest).toBe(digest);
      // Nothing came back from the black hole, which never saw more than its two slots.
      expect(changes.flat()).toEqual(['ns/healthy']);
      expect(blackHole.accepted()).toBe(2);
      resolver.stop();
      await waitFor('the stopped resolver to hang up', () => blackHole.open() === 0);
    } finally {
      await blackHole.close();
      await registry.stop();
    }
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
        const { resolver, changes, changed } = recordingResolver({ intervalMs: 100 });
        const image = `${registry.host}/private/app:dev`;
        const request = {
          subscriber: 'ns/private',
          image,
          pullSecrets: [pullSecret(registry.host)],
        };
        const first = await registry.pushImage('private/app', 'dev');
        resolver.lookup(request);
        await changed('ns/private');
        expect(resolver.lookup(request)).toMatchObject({ digest: first, source: 'registry' });
        const seen = changes.length;
        const second = await registry.pushImage('private/app', 'dev');
        await changed('ns/private', seen);
        expect(resolver.lookup(request)).toMatchObject({
          image: `${image}@${second}`,
          source: 'registry',
        });
      });

      it('reports Unauthorized without a matching Secret or with a wrong password', async () => {
        await registry.pushImage('private/app', 'dev');
        const image = `${registry.host}/private/app:dev`;
        const { resolver, changed } = recordingResolver();
        resolver.lookup({ subscriber: 'ns/anon', image, pullSecrets: [] });
        const wrongSecret = [pullSecret(registry.host, 'not-the-password')];
        resolver.lookup({ subscriber: 'ns/wrong', image, pullSecrets: wrongSecret });
        await changed('ns/anon');
        await changed('ns/wrong');
        expect(resolver.lookup({ subscriber: 'ns/anon', image, pullSecrets: [] })).toMatchObject({
          image,
          source: 'unresolved',
          error: { reason: 'RegistryUnauthorized' },
        });
        expect(
          resolver.lookup({ subscriber: 'ns/wrong', image, pullSecrets: wrongSecret }),
        ).toMatchObject({ source: 'unresolved', error: { reason: 'RegistryUnauthorized' } });
      });
    });
  }

  it('reuses a Bearer token until it expires instead of asking for one per resolution', async () => {
    const registry = await startTestRegistry('token');
    try {
      await registry.pushImage('private/app', 'dev');
      const { resolver, resolutions } = recordingResolver({ intervalMs: 50 });
      const request = {
        subscriber: 'ns/private',
        image: `${registry.host}/private/app:dev`,
        pullSecrets: [pullSecret(registry.host)],
      };
      resolver.lookup(request);
      await waitFor('five resolutions', () => resolutions() >= 5);
      expect(resolver.lookup(request).source).toBe('registry');
      // The test token service's tokens live 300 s.
      expect(registry.tokensIssued()).toBe(1);
    } finally {
      await registry.stop();
    }
  });
});
