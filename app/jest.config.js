/* global module */
// CommonJS jest with ts-jest. Suites share one MariaDB server and a 2-core machine, so
// they run in band (see package.json); each suite makes its own databases.
/** @type {import('jest').Config} */
module.exports = {
  testEnvironment: 'node',
  transform: { '^.+\\.ts$': ['ts-jest', { tsconfig: 'tsconfig.json', isolatedModules: true }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  testTimeout: 60_000,
};
