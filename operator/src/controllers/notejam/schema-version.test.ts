import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { withDefaults } from '../../api/v1alpha1/defaults.js';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { lifecycleJob } from './jobs.js';
import { parseSchemaVersion, reportedSchemaVersion } from './schema-version.js';

describe('parseSchemaVersion', () => {
  it('reads the version line the app writes', () => {
    expect(parseSchemaVersion('schemaVersion=SortIndexesSessionsResets1764300000001\n')).toBe(
      'SortIndexesSessionsResets1764300000001',
    );
    expect(parseSchemaVersion('  schemaVersion=1700000000000-init.v2  ')).toBe(
      '1700000000000-init.v2',
    );
  });

  it('takes the last version line among other output', () => {
    expect(
      parseSchemaVersion('applied 1 migration\nschemaVersion=A1\nschemaVersion=B2\ndone'),
    ).toBe('B2');
  });

  it('finds nothing in a log tail, an empty or a missing message, or a malformed value', () => {
    for (const message of [
      undefined,
      '',
      'notejam: cannot open the MySQL database',
      'schemaVersion=',
      'schemaVersion=two words',
      'schemaVersion=<script>',
      `schemaVersion=${'x'.repeat(257)}`,
      'theSchemaVersion=A1',
    ]) {
      expect(parseSchemaVersion(message)).toBeUndefined();
    }
  });
});

describe('reportedSchemaVersion', () => {
  const instance: NotejamInstance = {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name: 'notejam', namespace: 'notejam-test', uid: 'uid-1' },
    spec: withDefaults({
      image: 'registry.example.com/notejam/app:v1',
      environment: 'production',
      database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
    }),
  };
  const job: V1Job = lifecycleJob(instance, 'migrate', {
    image: 'registry.example.com/notejam/app:v1',
    revision: '0123456789',
  });
  const pod = (
    exitCode: number,
    message: string | undefined,
    { container = 'migrate', jobName = job.metadata?.name ?? '' } = {},
  ): V1Pod => ({
    metadata: { labels: { 'batch.kubernetes.io/job-name': jobName } },
    status: {
      containerStatuses: [
        {
          name: container,
          image: 'app',
          imageID: '',
          ready: false,
          restartCount: 0,
          state: { terminated: { exitCode, ...(message === undefined ? {} : { message }) } },
        },
      ],
    },
  });

  it('is the version in the termination message of the Job’s succeeded pod', () => {
    const pods = [pod(1, 'schemaVersion=Failed1\nerror'), pod(0, 'schemaVersion=Newest2\n')];
    expect(reportedSchemaVersion(job, pods)).toBe('Newest2');
  });

  it('ignores failed attempts, other Jobs and other containers', () => {
    expect(reportedSchemaVersion(job, [pod(1, 'schemaVersion=Failed1')])).toBeUndefined();
    expect(
      reportedSchemaVersion(job, [pod(0, 'schemaVersion=Other1', { jobName: 'another-job' })]),
    ).toBeUndefined();
    expect(
      reportedSchemaVersion(job, [pod(0, 'schemaVersion=Side1', { container: 'sidecar' })]),
    ).toBeUndefined();
  });

  it('is undefined when the app wrote no message (a release that does not report it)', () => {
    expect(reportedSchemaVersion(job, [pod(0, undefined)])).toBeUndefined();
    expect(reportedSchemaVersion(job, [])).toBeUndefined();
  });
});
