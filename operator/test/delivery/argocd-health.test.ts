// Runs our Argo CD health checks (config/argocd/health/) on gopher-lua, the Lua VM Argo CD
// embeds (built by hack/delivery-tools.sh at the version Argo CD requires): NotejamInstance
// against the statuses the operator writes, Application against the statuses Argo CD
// writes (what the root's sync waves wait for). How they reach argocd-cm: gitops.test.ts.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { deliveryTool, repoPath, runOk } from './support.js';

const instanceScript = repoPath('config/argocd/health/notejam-instance.lua');
const applicationScript = repoPath('config/argocd/health/application.lua');

/** A JSON value as a Lua table constructor, the way Argo CD hands objects to Lua. */
function toLua(value: unknown): string {
  if (value === null || value === undefined) return 'nil';
  if (typeof value === 'string') {
    // Byte escapes (\ddd) are valid in every Lua version, for any UTF-8 content.
    const bytes = [...Buffer.from(value, 'utf8')];
    return `"${bytes.map((byte) => (byte >= 0x20 && byte < 0x7f && byte !== 0x22 && byte !== 0x5c ? String.fromCharCode(byte) : `\\${byte}`)).join('')}"`;
  }
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `{${value.map(toLua).join(', ')}}`;
  const fields = Object.entries(value as Record<string, unknown>).map(
    ([key, field]) => `[${toLua(key)}] = ${toLua(field)}`,
  );
  return `{${fields.join(', ')}}`;
}

let workDir: string;
let glua: string;

beforeAll(() => {
  glua = deliveryTool('glua');
  workDir = mkdtempSync(path.join(tmpdir(), 'notejam-lua-'));
});

afterAll(() => {
  rmSync(workDir, { recursive: true, force: true });
});

interface Health {
  status: string;
  message: string;
}

/** Evaluates a health script as Argo CD does: the object in the global `obj`, the result returned. */
function health(object: Record<string, unknown>, scriptPath = instanceScript): Health {
  const runner = path.join(workDir, 'run.lua');
  writeFileSync(
    runner,
    [
      `obj = ${toLua(object)}`,
      `local hs = assert(loadfile(${toLua(scriptPath)}))()`,
      'io.write(tostring(hs.status), "\\n", tostring(hs.message))',
    ].join('\n'),
  );
  const [status = '', message = ''] = runOk(glua, [runner]).split('\n');
  return { status, message };
}

type ConditionStatus = 'True' | 'False' | 'Unknown';

function condition(
  type: string,
  status: ConditionStatus,
  reason: string,
  message: string,
  observedGeneration = 3,
) {
  return {
    type,
    status,
    reason,
    message,
    observedGeneration,
    lastTransitionTime: '2026-11-28T12:00:00Z',
  };
}

function instance(
  status?: Record<string, unknown>,
  generation = 3,
  spec: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    apiVersion: 'notejam.io/v1alpha1',
    kind: 'NotejamInstance',
    metadata: { name: 'notejam', namespace: 'notejam-test', generation },
    spec: { image: 'ghcr.io/example/notejam:v0.1-test', ...spec },
    ...(status ? { status } : {}),
  };
}

const steadyConditions = [
  condition('Ready', 'True', 'Available', 'All 2 replicas are ready'),
  condition('Progressing', 'False', 'RolloutComplete', 'Revision 7 is fully rolled out'),
  condition('Degraded', 'False', 'AsExpected', ''),
];

describe('NotejamInstance health check', () => {
  it('is Healthy when the current generation is Ready and neither progressing nor degraded', () => {
    expect(
      health(instance({ observedGeneration: 3, phase: 'Ready', conditions: steadyConditions })),
    ).toEqual({
      status: 'Healthy',
      message: 'Available: All 2 replicas are ready',
    });
  });

  it('is Progressing while the operator has not reported any status', () => {
    expect(health(instance())).toEqual({
      status: 'Progressing',
      message: 'Waiting for the operator to report status',
    });
  });

  it('is Progressing while the operator has not observed the latest generation, even if it was Ready', () => {
    expect(health(instance({ observedGeneration: 2, conditions: steadyConditions }, 3))).toEqual({
      status: 'Progressing',
      message: 'Waiting for the operator to act on generation 3',
    });
  });

  it('is Progressing with the reason while a rollout or migration runs', () => {
    const conditions = [
      condition('Ready', 'True', 'Available', 'The previous revision keeps serving'),
      condition('Progressing', 'True', 'Migrating', 'Migration Job notejam-migrate-5d8f runs'),
      condition('Degraded', 'False', 'AsExpected', ''),
    ];
    expect(health(instance({ observedGeneration: 3, phase: 'Migrating', conditions }))).toEqual({
      status: 'Progressing',
      message: 'Migrating: Migration Job notejam-migrate-5d8f runs',
    });
  });

  it('is Degraded with the reason when a migration failed, even while the old version still serves', () => {
    const conditions = [
      condition('Ready', 'True', 'Available', 'The previous revision keeps serving'),
      condition('Progressing', 'True', 'RetryingMigration', 'Retrying in 40s'),
      condition(
        'Degraded',
        'True',
        'MigrationFailed',
        'Job notejam-migrate-5d8f failed: ER_DUP_FIELDNAME "ünïcode"',
      ),
    ];
    expect(health(instance({ observedGeneration: 3, phase: 'Failed', conditions }))).toEqual({
      status: 'Degraded',
      message: 'MigrationFailed: Job notejam-migrate-5d8f failed: ER_DUP_FIELDNAME "ünïcode"',
    });
  });

  it('is Degraded when it is not ready although nothing is progressing', () => {
    const conditions = [
      condition('Ready', 'False', 'PodsNotReady', '0 of 2 replicas are ready'),
      condition('Progressing', 'False', 'RolloutComplete', ''),
      condition('Degraded', 'False', 'AsExpected', ''),
    ];
    expect(health(instance({ observedGeneration: 3, conditions }))).toEqual({
      status: 'Degraded',
      message: 'PodsNotReady: 0 of 2 replicas are ready',
    });
  });

  it('ignores conditions written for an older generation', () => {
    const stale = steadyConditions.map((entry) => ({ ...entry, observedGeneration: 2 }));
    expect(health(instance({ observedGeneration: 3, conditions: stale }))).toEqual({
      status: 'Progressing',
      message: 'Waiting for the Ready condition',
    });
  });

  it('is Suspended while paused, with the operator’s word when it has one, whatever else the status says', () => {
    const paused = condition(
      'Paused',
      'True',
      'Paused',
      'spec.paused is true: no child is changed and no lifecycle Job started',
    );
    const failing = [
      condition('Ready', 'True', 'Available', 'The previous revision keeps serving'),
      condition('Degraded', 'True', 'RetriesExhausted', 'migrate failed 6 times'),
    ];
    expect(
      health(
        instance({ observedGeneration: 3, conditions: [...failing, paused] }, 3, { paused: true }),
      ),
    ).toEqual({
      status: 'Suspended',
      message: 'Paused: spec.paused is true: no child is changed and no lifecycle Job started',
    });
    // Paused before the operator has said anything (or before it runs at all).
    expect(health(instance(undefined, 3, { paused: true }))).toEqual({
      status: 'Suspended',
      message: 'Paused (spec.paused): the operator changes nothing until it is false',
    });
    // Unpaused: the ordinary verdict again, a stale Paused condition notwithstanding.
    const unpaused = { ...paused, status: 'False' as const, reason: 'Resumed', message: '' };
    expect(
      health(
        instance({ observedGeneration: 3, conditions: [...steadyConditions, unpaused] }, 3, {
          paused: false,
        }),
      ),
    ).toEqual({ status: 'Healthy', message: 'Available: All 2 replicas are ready' });
  });

  it('uses the reason alone when a condition has no message', () => {
    const conditions = [condition('Ready', 'True', 'Available', '')];
    expect(health(instance({ observedGeneration: 3, conditions }))).toEqual({
      status: 'Healthy',
      message: 'Available',
    });
  });
});

describe('Application health check', () => {
  const application = (status?: Record<string, unknown>) => ({
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Application',
    metadata: { name: 'notejam-dev', namespace: 'argocd' },
    spec: { project: 'notejam-dev' },
    ...(status ? { status } : {}),
  });

  it('is Progressing while Argo CD has not assessed the Application (a root must wait for it)', () => {
    expect(health(application(), applicationScript)).toEqual({
      status: 'Progressing',
      message: 'Waiting for the Application to be assessed',
    });
  });

  it.each(['Healthy', 'Progressing', 'Degraded', 'Missing', 'Suspended'])(
    'is %s when Argo CD found the Application so',
    (status) => {
      expect(
        health(
          application({
            health: { status, message: `it is ${status}` },
            sync: { status: 'Synced' },
          }),
          applicationScript,
        ),
      ).toEqual({ status, message: `it is ${status}` });
    },
  );

  it('is Progressing while a sync runs, even if the resources looked healthy before it', () => {
    expect(
      health(
        application({
          health: { status: 'Healthy' },
          operationState: {
            phase: 'Running',
            message: 'waiting for healthy state of apps/Deployment/x',
          },
        }),
        applicationScript,
      ),
    ).toEqual({ status: 'Progressing', message: 'waiting for healthy state of apps/Deployment/x' });
  });
});
