// A migration that fails leaves the old pods serving (variables: see cluster.ts): test
// (MySQL) is pointed at E2E_BROKEN_IMAGE, the release plus a migration MariaDB refuses
// (operator/test/e2e/images/failing-migration/). The operator must report Degraded and
// MigrationsApplied=False with the database's error, keep status.deployedImage and the
// Deployment's pods, and the app must keep serving; back on the earlier image, the failure
// clears (not Degraded, MigrationsApplied True).
import { describe, expect, it } from '@jest/globals';
import {
  appPods,
  condition,
  imageFromEnv,
  instanceIn,
  keepsImage,
  kubectl,
  namespaceOf,
  revisionOf,
  setImage,
  settledWithService,
  step,
  waitFor,
  waitSettled,
  type Instance,
} from './cluster.js';
import { expectNoteServed, newUserWithNote } from './notejam-client.js';

const namespace = namespaceOf('test');
/** The table the failing migration alters (images/failing-migration/migrations.cjs). */
const missingTable = 'e2e_missing_table';

describe('a failing migration', () => {
  const originalImage = keepsImage(namespace);

  it('leaves the old pods serving and says why in the status', async () => {
    const brokenImage = imageFromEnv('E2E_BROKEN_IMAGE');
    const { instance: before, baseUrl } = await settledWithService(namespace);
    const user = await step('test: a user before the failing migration', [namespace], () =>
      newUserWithNote(baseUrl, 'test-failing-migration'),
    );
    const podsBefore = (await appPods(namespace)).map((pod) => pod.metadata.name).sort();

    const degraded = await step(`test: ${brokenImage} reported Degraded`, [namespace], async () => {
      await setImage(namespace, brokenImage);
      return waitFor('Degraded=True (MigrationFailed) on the new generation', async () => {
        const instance: Instance = await instanceIn(namespace);
        const current = instance.status?.observedGeneration === instance.metadata.generation;
        const failed = condition(instance, 'Degraded');
        return current && failed?.status === 'True' && failed.reason === 'MigrationFailed'
          ? instance
          : undefined;
      });
    });

    await step('test: the failure is named and nothing moved', [namespace], async () => {
      // The message carries the migrate container's log tail: MariaDB's own error.
      expect(condition(degraded, 'Degraded')?.message).toContain(missingTable);
      expect(condition(degraded, 'MigrationsApplied')).toMatchObject({
        status: 'False',
        reason: 'MigrationFailed',
      });
      expect(degraded.status?.phase).toBe('Degraded');
      expect(degraded.status?.deployedImage).toBe(before.status?.deployedImage);
      expect(degraded.status?.revision).toBe(before.status?.revision);
      const deployed = await kubectl([
        '-n',
        namespace,
        'get',
        'deployment',
        degraded.metadata.name,
        '-o',
        'jsonpath={.spec.template.spec.containers[0].image}',
      ]);
      expect(deployed).toBe(before.status?.deployedImage);
      const pods = await appPods(namespace);
      expect(pods.map((pod) => pod.metadata.name).sort()).toEqual(podsBefore);
      expect(pods.map(revisionOf)).toEqual(pods.map(() => before.status?.revision));
    });

    await step('test: the old pods still serve the data', [namespace], () =>
      expectNoteServed(baseUrl, user),
    );
  });

  it('recovers when the image goes back: not Degraded, MigrationsApplied True again', () =>
    step('test: back on the deployed image', [namespace], async () => {
      const image = originalImage();
      await setImage(namespace, image);
      const recovered = await waitSettled(
        namespace,
        (instance) =>
          instance.spec.image === image && condition(instance, 'Degraded')?.status === 'False',
      );
      expect(condition(recovered, 'MigrationsApplied')).toMatchObject({
        status: 'True',
        reason: 'Applied',
      });
      expect(recovered.status?.phase).toBe('Ready');
    }));
});
