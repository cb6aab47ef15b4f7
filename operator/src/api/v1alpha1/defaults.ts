// The API server's defaulting, for code that builds instances without one (tests, benches).
import { applyDefaults } from '../structural-schema.js';
import { specSchema } from './schema.js';
import type { NotejamInstanceSpec, NotejamInstanceSpecInput } from './types.js';

/** The spec as the API server would store it: every schema default filled in. */
export function withDefaults(spec: NotejamInstanceSpecInput): NotejamInstanceSpec {
  return applyDefaults(specSchema.openAPI, spec) as NotejamInstanceSpec;
}
