// jest globalTeardown (see jest.config.js): stops the shared control plane, if started.
// Plain ESM for the same reason as global-setup.mjs.
export { teardownSharedControlPlane as default } from './control-plane.ts';
