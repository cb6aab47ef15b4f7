import { describe, expect, it } from '@jest/globals';
import { ApiError } from '../../runtime/kube-client.js';
import { stepFailure } from './failures.js';

const refused = (code: number, reason: string, message: string) =>
  new ApiError(code, 'POST', '/apis/batch/v1/namespaces/shop/jobs', { code, reason, message });

describe('stepFailure', () => {
  it('names a ResourceQuota that refused a Job, and retries', () => {
    const err = refused(
      403,
      'Forbidden',
      'jobs.batch "shop-migrate-0123456789" is forbidden: exceeded quota: jobs, requested: count/jobs.batch=1, used: count/jobs.batch=2, limited: count/jobs.batch=2',
    );
    expect(stepFailure('MigrationJob', 'creating Job shop-migrate-0123456789', err)).toEqual({
      reason: 'MigrationJobRefusedByQuota',
      message:
        'creating Job shop-migrate-0123456789: refused by a ResourceQuota: 403 Forbidden: jobs.batch "shop-migrate-0123456789" is forbidden: exceeded quota: jobs, requested: count/jobs.batch=1, used: count/jobs.batch=2, limited: count/jobs.batch=2',
      terminal: false,
    });
  });

  it('names admission control, whether a webhook or a ValidatingAdmissionPolicy', () => {
    const webhook = refused(
      403,
      'Forbidden',
      'admission webhook "policy.example.com" denied the request: images must come from registry.example.com',
    );
    const policy = refused(
      422,
      'Invalid',
      "jobs.batch \"x\" is forbidden: ValidatingAdmissionPolicy 'no-root' with binding 'all' denied request: runAsNonRoot",
    );
    expect(stepFailure('WipeJob', 'creating Job x', webhook).reason).toBe(
      'WipeJobRefusedByAdmission',
    );
    expect(stepFailure('SeedJob', 'creating Job x', policy)).toMatchObject({
      reason: 'SeedJobRefusedByAdmission',
      terminal: false,
    });
  });

  it('takes an object the API server refuses as invalid for a failure no retry fixes', () => {
    const invalid = refused(
      422,
      'Invalid',
      'PersistentVolumeClaim "notes-data" is invalid: spec: Forbidden: spec is immutable after creation',
    );
    expect(
      stepFailure('PersistentVolumeClaim', 'applying PersistentVolumeClaim notes-data', invalid),
    ).toMatchObject({
      reason: 'PersistentVolumeClaimInvalid',
      terminal: true,
    });
  });

  it('tells missing permissions, an unavailable API server and other errors apart', () => {
    const rbac = refused(
      403,
      'Forbidden',
      'secrets "regcred" is forbidden: User "x" cannot get resource "secrets"',
    );
    expect(stepFailure('PullSecret', 'reading the pull Secret regcred', rbac).reason).toBe(
      'PullSecretForbidden',
    );
    expect(
      stepFailure('JobCleanup', 'deleting', refused(503, 'ServiceUnavailable', 'etcd')).reason,
    ).toBe('JobCleanupUnavailable');
    expect(stepFailure('Deployment', 'applying', new Error('connect ECONNREFUSED'))).toEqual({
      reason: 'DeploymentFailed',
      message: 'applying: connect ECONNREFUSED',
      terminal: false,
    });
  });
});
