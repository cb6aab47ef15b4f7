import type { V1Job, V1Pod } from '@kubernetes/client-node';
import { withDefaults } from '../../api/v1alpha1/defaults.js';
import type { NotejamInstance, NotejamInstanceSpecInput } from '../../api/v1alpha1/types.js';
import { backupEnabled, backupVolumeClaim, parseBackupReport, reportedBackup } from './backup.js';
import { desiredChildren } from './children.js';
import { jobUidLabel, lifecycleJob } from './jobs.js';

function instance(spec: Partial<NotejamInstanceSpecInput> = {}): NotejamInstance {
  return {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name: 'notejam', namespace: 'notejam-prod', uid: 'a1b2c3' },
    spec: withDefaults({
      image: 'registry.example.com/notejam/app:v0.1',
      replicas: 2,
      database: { type: 'mysql', mysql: { secretRef: { name: 'notejam-db' } } },
      ...spec,
    }),
  };
}

describe('backupEnabled', () => {
  it('is on by default for production on mysql, off by default elsewhere, and as set when set', () => {
    expect(backupEnabled(instance())).toBe(true); // environment defaults to production
    expect(backupEnabled(instance({ environment: 'test' }))).toBe(false);
    expect(backupEnabled(instance({ lifecycle: { backup: { enabled: false } } }))).toBe(false);
    expect(
      backupEnabled(instance({ environment: 'test', lifecycle: { backup: { enabled: true } } })),
    ).toBe(true);
    expect(backupEnabled(instance({ replicas: 1, database: { type: 'sqlite' } }))).toBe(false);
  });
});

describe('backupVolumeClaim', () => {
  it('is a claim of the configured size and class, owned by the instance, while backups are on', () => {
    const claim = backupVolumeClaim(
      instance({ lifecycle: { backup: { size: '20Gi', storageClassName: 'standard-rwo' } } }),
    );
    expect(claim).toEqual({
      apiVersion: 'v1',
      kind: 'PersistentVolumeClaim',
      metadata: expect.objectContaining({
        name: 'notejam-backups',
        namespace: 'notejam-prod',
        ownerReferences: [expect.objectContaining({ uid: 'a1b2c3', controller: true })],
      }),
      spec: {
        accessModes: ['ReadWriteOnce'],
        storageClassName: 'standard-rwo',
        resources: { requests: { storage: '20Gi' } },
      },
    });
    expect(backupVolumeClaim(instance())?.spec?.resources?.requests?.storage).toBe('10Gi');
    expect(backupVolumeClaim(instance({ environment: 'test' }))).toBeUndefined();
  });

  it('is among the children, before the Deployment that may need it', () => {
    const kinds = desiredChildren(instance(), {
      image: 'registry.example.com/notejam/app:v0.1',
      serviceMonitorAvailable: false,
    }).map((child) => `${child.kind}/${child.metadata.name}`);
    expect(kinds).toContain('PersistentVolumeClaim/notejam-backups');
    expect(kinds.indexOf('PersistentVolumeClaim/notejam-backups')).toBeLessThan(
      kinds.indexOf('Deployment/notejam'),
    );
  });
});

describe('what a backup Job reports', () => {
  const message =
    'schemaVersion=SortIndexesSessionsResets1764300000001\n' +
    'exportFile=notejam-20261203T103155.123Z-before-0123456789.ndjson.gz\n' +
    'exportBytes=123456789\nexportRows=1001100\n';

  it('reads file, size, rows and schema version from the termination message', () => {
    expect(parseBackupReport(message)).toEqual({
      file: 'notejam-20261203T103155.123Z-before-0123456789.ndjson.gz',
      schemaVersion: 'SortIndexesSessionsResets1764300000001',
      sizeBytes: 123456789,
      rows: 1001100,
    });
    expect(parseBackupReport('nothing to back up\n')).toBeUndefined();
    expect(parseBackupReport(undefined)).toBeUndefined();
    expect(parseBackupReport('exportFile=../../etc/passwd\n')).toBeUndefined();
  });

  it('takes it from the container that exited 0 only', () => {
    const built = lifecycleJob(instance(), 'backup', {
      image: 'registry.example.com/notejam/app:v0.1',
      revision: '0123456789',
    });
    const job: V1Job = { ...built, metadata: { ...built.metadata, uid: 'job-uid-1' } };
    const pod = (exitCode: number, text: string): V1Pod => ({
      metadata: { labels: { [jobUidLabel]: 'job-uid-1' } },
      status: {
        containerStatuses: [
          {
            name: 'backup',
            image: '',
            imageID: '',
            ready: false,
            restartCount: 0,
            state: { terminated: { exitCode, message: text } },
          },
        ],
      },
    });
    expect(reportedBackup(job, [pod(1, 'exportFile=half.ndjson.gz\n')])).toBeUndefined();
    expect(reportedBackup(job, [pod(1, 'oops'), pod(0, message)])?.rows).toBe(1001100);
  });
});
