// client-node 1.x+ is ESM-only, so the operator is an ES module package and jest runs in
// its native ESM mode (`node --experimental-vm-modules`, see package.json) with ts-jest
// compiling TypeScript to ESM. Imports use explicit `.js` suffixes, mapped back to `.ts`.
// tsconfig's isolatedModules makes ts-jest transpile each file without type-checking it
// (`npm run build` type-checks src and test once, with the same tsconfig).
/** @type {import('jest').Config} */
export default {
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.json' }] },
  testMatch: ['<rootDir>/src/**/*.test.ts', '<rootDir>/test/**/*.test.ts'],
  // Test control plane (test/envtest/): the kube-apiserver + etcd shared by all suites of
  // a run is started by the first suite calling sharedControlPlane() and stopped here.
  globalSetup: '<rootDir>/test/envtest/global-setup.mjs',
  globalTeardown: '<rootDir>/test/envtest/global-teardown.mjs',
};
