// ES module package like the operator: jest runs in its native ESM mode
// (`node --experimental-vm-modules`, see package.json) with ts-jest compiling TypeScript to ESM.
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/test/**/*.test.ts'],
  // promtool and the scraped processes are real programs on a shared, busy machine.
  testTimeout: 120_000,
};
