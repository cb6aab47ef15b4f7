import { InitialSchema1764300000000 } from './1764300000000-initial-schema';
import { SortIndexesSessionsResets1764300000001 } from './1764300000001-sort-indexes-sessions-resets';
import { TextRulesSessionVersionsRateLimits1764300000002 } from './1764300000002-text-rules-session-versions-rate-limits';

/** Every migration, oldest first. Listed explicitly so the same code runs from src and dist. */
export const MIGRATIONS = [
  InitialSchema1764300000000,
  SortIndexesSessionsResets1764300000001,
  TextRulesSessionVersionsRateLimits1764300000002,
];

/**
 * Every table the migrations create (and TypeORM's record of them), children before their
 * parents: `wipe` drops exactly these, leaving anything else in the database alone.
 * `sessions` is the previous release's session store (see the third migration).
 */
export const NOTEJAM_TABLES = [
  'rate_limits',
  'user_sessions',
  'sessions',
  'password_resets',
  'notes',
  'pads',
  'users',
  'migrations',
];
