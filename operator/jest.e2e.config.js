// The end-to-end suite (test/e2e/*.e2e.ts; variables in test/e2e/cluster.ts): runs against
// the local cluster or the current kube context through `make e2e`, which deploys first;
// never in `npm test`. See README, "Deploying on kind".
import base from './jest.config.js';

/** @type {import('jest').Config} */
export default {
  testEnvironment: base.testEnvironment,
  extensionsToTreatAsEsm: base.extensionsToTreatAsEsm,
  moduleNameMapper: base.moduleNameMapper,
  transform: base.transform,
  testMatch: ['<rootDir>/test/e2e/**/*.e2e.ts'],
  // Rollouts with migration Jobs and image pulls take minutes on a laptop.
  testTimeout: 20 * 60 * 1000,
};
