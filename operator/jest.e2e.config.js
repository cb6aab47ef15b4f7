// The end-to-end suite (test/e2e/*.e2e.ts): runs against the cluster of the current kube
// context (`make deploy` first), never in `npm test`. See README, "Deploying on kind".
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
