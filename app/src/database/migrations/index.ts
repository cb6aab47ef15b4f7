import { InitialSchema1764300000000 } from './1764300000000-initial-schema';
import { SortIndexesSessionsResets1764300000001 } from './1764300000001-sort-indexes-sessions-resets';

/** Every migration, oldest first. Listed explicitly so the same code runs from src and dist. */
export const MIGRATIONS = [InitialSchema1764300000000, SortIndexesSessionsResets1764300000001];
