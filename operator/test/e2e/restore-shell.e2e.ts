// The restore runbook's shell on a real node (docs/runbooks/restore-notes.md, "Checking the
// restored data"; variables: see cluster.ts): its Pod, as written there, is admitted in
// notejam-prod (which enforces the restricted Pod Security level), runs the deployed app
// image as a non-root user on a read-only root file system, and the runbook's
// `migrate --status` and `query` helper read a database through the app's own code. The
// "scratch" database here is prod's MariaDB, which has no TLS in this cluster (DB_TLS=off);
// the helper over TLS is tested against the test MariaDB (app/test/runbook-query.test.ts).
import { afterAll, describe, expect, it } from '@jest/globals';
import { restoreQueryScript, restoreShellPodManifest } from '../runbooks.js';
import { kubectl, namespaceOf, settledWithService, step } from './cluster.js';

const namespace = namespaceOf('prod');
const scratchSecret = 'restore-scratch-db';

describe('the restore shell of restore-notes.md', () => {
  afterAll(async () => {
    // As the runbook ends it.
    await kubectl([
      '-n',
      namespace,
      'delete',
      'pod/restore-shell',
      `secret/${scratchSecret}`,
      '--ignore-not-found',
    ]);
  });

  it('runs in notejam-prod as written and reads the database with the app image', async () => {
    const { instance } = await settledWithService(namespace);
    const image = instance.status?.deployedImage;
    expect(image).toBeDefined();

    await step('prod: the restore shell Secret and Pod of the runbook', [namespace], async () => {
      const database = JSON.parse(
        await kubectl(['-n', namespace, 'get', 'secret', 'notejam-db', '-o', 'json']),
      ) as { data: Record<string, string> };
      const literal = (key: string) =>
        `--from-literal=${key}=${Buffer.from(database.data[key] ?? '', 'base64').toString()}`;
      await kubectl([
        '-n',
        namespace,
        'create',
        'secret',
        'generic',
        scratchSecret,
        ...['host', 'port', 'database', 'username', 'password'].map(literal),
        '--from-literal=tls=off',
        '--from-literal=ca=',
      ]);
      expect(await kubectl(['apply', '-f', '-'], restoreShellPodManifest(image!))).toBe(
        'pod/restore-shell created\n',
      );
      await kubectl([
        '-n',
        namespace,
        'wait',
        '--for=condition=Ready',
        'pod/restore-shell',
        '--timeout=180s',
      ]);
    });

    /** `kubectl -n notejam-prod exec restore-shell -- <command>`, as the runbook runs it. */
    const inShell = (...command: string[]) =>
      kubectl(['-n', namespace, 'exec', 'restore-shell', '--', ...command]);
    const status = await step('prod: migrate --status in the restore shell', [namespace], () =>
      inShell('node', 'dist/cli.js', 'migrate', '--status'),
    );
    expect(status).toMatch(/^applied {2}\S+\n(?:applied {2}\S+\n)*schema is up to date\n$/);

    const table = await step('prod: the query helper in the restore shell', [namespace], () =>
      inShell(
        'node',
        '-e',
        restoreQueryScript(),
        "SELECT COUNT(*) AS users FROM users WHERE email LIKE '%@%'",
      ),
    );
    // console.table: a header row naming the column, one row with the count (a string:
    // TypeORM has the MySQL driver return BIGINT, COUNT's type, as text).
    expect(table).toMatch(/│\s+\(index\)\s+│\s+users\s+│/);
    expect(table).toMatch(/│\s+0\s+│\s+'\d+'\s+│/);
  });
});
