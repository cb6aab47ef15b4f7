// A rolling update under continuous HTTP load (variables: see cluster.ts): prod (MySQL,
// several replicas, maxUnavailable 0) moves to E2E_NEXT_IMAGE and back while a few
// keep-alive loops in this process read a signed-in user's notes through the Service's
// ClusterIP. Not one request may fail. Prints
//   E2E-METRIC rolling-update requests=… failures=… load-seconds=… rollout-seconds=<to next>,<back> loops=…
import { describe, expect, it } from '@jest/globals';
import {
  appPods,
  imageFromEnv,
  keepsImage,
  metric,
  namespaceOf,
  revisionOf,
  rollOut,
  settledWithService,
  step,
} from './cluster.js';
import { describeFailures, startReading, type LoadReport } from './http-load.js';
import { newUserWithNote } from './notejam-client.js';

const namespace = namespaceOf('prod');
const loops = 4;

describe('a rolling update of prod under load', () => {
  const originalImage = keepsImage(namespace);

  it('answers every request while the image moves to E2E_NEXT_IMAGE and back', async () => {
    const nextImage = imageFromEnv('E2E_NEXT_IMAGE');
    const images = [nextImage, originalImage()];
    expect(nextImage).not.toBe(originalImage());
    const { baseUrl } = await settledWithService(namespace);
    const user = await step('prod: a user with a note to read', [namespace], () =>
      newUserWithNote(baseUrl, 'prod-load'),
    );
    const podsBefore = await step('prod: several replicas serve', [namespace], async () => {
      const pods = (await appPods(namespace)).map((pod) => pod.metadata.name);
      expect(pods.length).toBeGreaterThan(1);
      return pods;
    });

    const load = startReading(baseUrl, user, loops);
    const rolloutSeconds: number[] = [];
    let report: LoadReport;
    try {
      for (const image of images) {
        await step(`prod: roll out ${image} under load`, [namespace], async () => {
          const started = Date.now();
          const after = await rollOut(namespace, image, 1000);
          rolloutSeconds.push((Date.now() - started) / 1000);
          const pods = await appPods(namespace);
          expect(pods.map(revisionOf)).toEqual(pods.map(() => after.status?.revision));
        });
      }
    } finally {
      // Printed even when a rollout failed: what the load saw until then.
      report = await load.stop();
      metric(
        `rolling-update requests=${report.requests} failures=${report.failures.length} ` +
          `load-seconds=${report.seconds.toFixed(1)} ` +
          `rollout-seconds=${rolloutSeconds.map((s) => s.toFixed(1)).join(',')} loops=${loops}`,
      );
    }

    await step('prod: no request failed during the rolling updates', [namespace], async () => {
      if (report.failures.length > 0) throw new Error(describeFailures(report.failures));
      // The load really ran through both rollouts: at least a request per second per loop.
      expect(report.requests).toBeGreaterThan(report.seconds * loops);
      const podsAfter = (await appPods(namespace)).map((pod) => pod.metadata.name);
      expect(podsAfter.filter((pod) => podsBefore.includes(pod))).toEqual([]);
    });
  });
});
