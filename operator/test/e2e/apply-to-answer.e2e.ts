// How long a new instance takes from `kubectl apply` to the app answering HTTP 200 on its
// Service: a fresh namespace, SQLite wiped on deploy (like dev, no volume to provision),
// dev's image. Prints `E2E-METRIC apply-to-answer-seconds=…` for docs/benchmarks.md; the
// namespace is deleted afterwards.
import { afterAll, describe, it } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import {
  createRestrictedNamespace,
  instanceIn,
  kubectl,
  metric,
  namespaceOf,
  serviceUrl,
  step,
  waitFor,
} from './cluster.js';

const namespace = `notejam-e2e-${randomBytes(3).toString('hex')}`;
const name = 'notejam';

function manifest(image: string): string {
  return JSON.stringify({
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name, namespace },
    spec: {
      image,
      environment: 'development',
      replicas: 1,
      database: { type: 'sqlite', sqlite: { size: '1Gi' } },
      lifecycle: { onDeploy: 'wipe' },
    },
  });
}

/** The status of one GET, or undefined while nothing answers. */
async function statusOf(url: string): Promise<number | undefined> {
  try {
    const response = await fetch(url, { redirect: 'manual', signal: AbortSignal.timeout(2000) });
    await response.body?.cancel();
    return response.status;
  } catch {
    return undefined;
  }
}

describe('a new instance', () => {
  afterAll(() =>
    step(`delete namespace ${namespace}`, [namespace], () =>
      kubectl(['delete', 'namespace', namespace, '--ignore-not-found', '--timeout=5m']),
    ),
  );

  it('answers HTTP 200 on its Service after kubectl apply (time measured)', () =>
    step(`${namespace}: apply to answer`, [namespace], async () => {
      const { image } = (await instanceIn(namespaceOf('dev'))).spec;
      await createRestrictedNamespace(namespace);
      const started = performance.now();
      await kubectl(['apply', '-f', '-'], manifest(image));
      let url: string | undefined;
      const status = await waitFor(
        `the Service of ${namespace}/${name} to answer HTTP 200 on /signin/`,
        async () => {
          url ??= `${await serviceUrl(namespace, name)}/signin/`;
          const answered = await statusOf(url);
          if (answered !== undefined && answered !== 200) throw new Error(`HTTP ${answered}`);
          return answered;
        },
        { timeoutMs: 5 * 60 * 1000, intervalMs: 250 },
      );
      const seconds = (performance.now() - started) / 1000;
      metric(`apply-to-answer-seconds=${seconds.toFixed(1)} status=${status} image=${image}`);
    }));
});
