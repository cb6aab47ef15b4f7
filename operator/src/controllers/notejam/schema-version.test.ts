import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { withDefaults } from '../../api/v1alpha1/defaults.js';
import type { NotejamInstance } from '../../api/v1alpha1/types.js';
import { lifecycleJob } from './jobs.js';
import {
  compareSchemaVersions,
  nextSchemaVersion,
  parseSchemaVersion,
  reportedSchemaVersion,
} from './schema-version.js';

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
  job.metadata!.uid = 'job-uid-2';
  /** A pod labelled as the Job controller labels it: the Job's name and uid. */
  const pod = (
    exitCode: number,
    message: string | undefined,
    { container = 'migrate', jobName = job.metadata?.name ?? '', jobUid = 'job-uid-2' } = {},
  ): V1Pod => ({
    metadata: {
      labels: {
        'batch.kubernetes.io/job-name': jobName,
        'batch.kubernetes.io/controller-uid': jobUid,
      },
    },
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
      reportedSchemaVersion(job, [
        pod(0, 'schemaVersion=Other1', { jobName: 'another-job', jobUid: 'job-uid-9' }),
      ]),
    ).toBeUndefined();
    expect(
      reportedSchemaVersion(job, [pod(0, 'schemaVersion=Side1', { container: 'sidecar' })]),
    ).toBeUndefined();
  });

  it('ignores the pods of an earlier Job of the same name (matched by the Job’s uid)', () => {
    // Revision A migrated once (Job uid 1), its Job was cleaned up, A came back and ran
    // again (uid 2): the first run's pods, not yet collected, say an older version.
    const earlier = pod(0, 'schemaVersion=Initial1764300000000\n', { jobUid: 'job-uid-1' });
    const now = pod(0, 'schemaVersion=Indexes1764300000001\n');
    expect(reportedSchemaVersion(job, [earlier, now])).toBe('Indexes1764300000001');
    expect(reportedSchemaVersion(job, [earlier])).toBeUndefined();
  });

  it('is undefined when the app wrote no message (a release that does not report it)', () => {
    expect(reportedSchemaVersion(job, [pod(0, undefined)])).toBeUndefined();
    expect(reportedSchemaVersion(job, [])).toBeUndefined();
  });
});

describe('compareSchemaVersions', () => {
  it('orders by the migration timestamp TypeORM requires at the end of each name', () => {
    expect(compareSchemaVersions('Zebra1764300000000', 'Apple1764300000001')).toBeLessThan(0);
    expect(compareSchemaVersions('B1764300000002', 'A1764300000001')).toBeGreaterThan(0);
    expect(compareSchemaVersions('Same1764300000000', 'Same1764300000000')).toBe(0);
  });
});

describe('nextSchemaVersion', () => {
  const older = 'InitialSchema1764300000000';
  const newer = 'SortIndexesSessionsResets1764300000001';

  it('moves forward with a newer report', () => {
    expect(nextSchemaVersion(older, newer)).toEqual({ version: newer });
    expect(nextSchemaVersion(undefined, older)).toEqual({ version: older });
    expect(nextSchemaVersion(newer, newer)).toEqual({ version: newer });
  });

  it('never goes back on A -> B -> A, and says the code is older than its schema', () => {
    expect(nextSchemaVersion(newer, older)).toEqual({ version: newer, codeBehind: older });
  });

  it('forgets the version when the release reports none', () => {
    expect(nextSchemaVersion(newer, null)).toEqual({});
  });
});
