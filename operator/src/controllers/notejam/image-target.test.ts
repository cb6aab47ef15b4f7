import { describe, expect, it } from '@jest/globals';
import { imageResolvedCondition, imageTarget } from './image-target.js';

const digest = 'sha256:' + 'a'.repeat(64);

describe('imageTarget', () => {
  it('deploys what the resolver found: pinned, resolved, or the last known digest', () => {
    expect(
      imageTarget({ image: `r.example/notejam:v1@${digest}`, digest, source: 'registry' }),
    ).toEqual({ state: 'found', image: `r.example/notejam:v1@${digest}` });
    expect(
      imageTarget({
        image: `r.example/notejam:v1@${digest}`,
        digest,
        source: 'lastKnown',
        error: { reason: 'RegistryUnreachable', message: 'r.example: connection refused' },
      }),
    ).toEqual({ state: 'found', image: `r.example/notejam:v1@${digest}` });
  });

  it('deploys a brand-new instance by tag when the registry cannot be reached', () => {
    expect(
      imageTarget({
        image: 'r.example/notejam:v1',
        source: 'unresolved',
        error: { reason: 'RegistryUnreachable', message: 'r.example: connection refused' },
      }),
    ).toEqual({ state: 'found', image: 'r.example/notejam:v1' });
  });

  it('holds any new revision while the registry has not answered for a new image', () => {
    expect(imageTarget({ image: 'r.example/notejam:v3', source: 'pending' })).toEqual({
      state: 'unknown',
    });
  });

  it('holds a tag the registry says does not exist, even with a digest known for the repository', () => {
    const message = 'r.example: notejam:v1x not found';
    for (const resolution of [
      { image: 'r.example/notejam:v1x', source: 'unresolved' as const },
      { image: `r.example/notejam:v1x@${digest}`, digest, source: 'lastKnown' as const },
    ]) {
      expect(
        imageTarget({ ...resolution, error: { reason: 'RegistryNotFound', message } }),
      ).toEqual({ state: 'notFound', message });
    }
  });
});

describe('imageResolvedCondition', () => {
  it('says which digest is kept when the registry fails', () => {
    expect(
      imageResolvedCondition('r.example/notejam:dev', {
        image: 'r.example/notejam:dev@sha256:abc',
        digest: 'sha256:abc',
        source: 'lastKnown',
        error: { reason: 'RegistryUnreachable', message: 'r.example: connection refused' },
      }),
    ).toEqual({
      type: 'ImageResolved',
      status: 'False',
      reason: 'RegistryUnreachable',
      message: 'r.example: connection refused; keeping the last known digest sha256:abc',
    });
  });

  it('is Unknown while the registry has not answered for a new image', () => {
    expect(
      imageResolvedCondition('r.example/notejam:v3', {
        image: 'r.example/notejam:v3',
        source: 'pending',
      }),
    ).toEqual({
      type: 'ImageResolved',
      status: 'Unknown',
      reason: 'Resolving',
      message:
        'Asking the registry for the digest of r.example/notejam:v3; no new revision starts before it answers',
    });
  });

  it('says that a tag that does not exist creates no Job', () => {
    expect(
      imageResolvedCondition('r.example/notejam:v1x', {
        image: 'r.example/notejam:v1x',
        source: 'unresolved',
        error: { reason: 'RegistryNotFound', message: 'r.example: notejam:v1x not found' },
      }),
    ).toEqual({
      type: 'ImageResolved',
      status: 'False',
      reason: 'RegistryNotFound',
      message:
        'r.example: notejam:v1x not found: no Job is created for it, and the deployed revision keeps running',
    });
  });
});
