// The resilience suite (test/resilience/*.resilience.ts): a three-zone local cluster under
// load, through `make resilience-e2e`, which deploys first; never in `npm test`. See
// README, "Resilience on three zones".
import e2e from './jest.e2e.config.js';

/** @type {import('jest').Config} */
export default {
  ...e2e,
  testMatch: ['<rootDir>/test/resilience/**/*.resilience.ts'],
  // The phases together take about half an hour; each has its own shorter bound.
  testTimeout: 25 * 60 * 1000,
};
