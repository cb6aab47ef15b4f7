// Lets Node run the operator's TypeScript sources directly (with --experimental-transform-types):
// they import each other as `./x.js` (as compiled output does), which exists here as `./x.ts`.
import { registerHooks } from 'node:module';

registerHooks({
  resolve(specifier, context, nextResolve) {
    try {
      return nextResolve(specifier, context);
    } catch (err) {
      if (
        err?.code !== 'ERR_MODULE_NOT_FOUND' ||
        !specifier.startsWith('.') ||
        !specifier.endsWith('.js')
      )
        throw err;
      return nextResolve(`${specifier.slice(0, -3)}.ts`, context);
    }
  },
});
