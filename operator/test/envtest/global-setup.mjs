// jest globalSetup (see jest.config.js): prepares the shared control plane's state.
// Plain ESM loaded by Node itself, which strips the types of control-plane.ts: ts-jest
// would compile a TypeScript global hook to CommonJS, where the harness cannot run.
export { setupSharedControlPlane as default } from './control-plane.ts';
