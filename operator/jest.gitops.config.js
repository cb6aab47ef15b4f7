// The GitOps end-to-end suite (test/gitops/*.e2e.ts; variables in test/gitops/gitops.ts):
// runs against the local cluster with Argo CD through `make gitops-e2e`; never in
// `npm test`. See README, "GitOps on the local cluster".
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  testEnvironment: base.testEnvironment,
  extensionsToTreatAsEsm: base.extensionsToTreatAsEsm,
  moduleNameMapper: base.moduleNameMapper,
  transform: base.transform,
  testMatch: ['<rootDir>/test/gitops/**/*.e2e.ts'],
  // Builds, syncs, migrations and rollouts: each step waits with its own deadline.
  testTimeout: 30 * 60 * 1000,
};
