/**
 * What the invocation got wrong: bad arguments, or a precondition the caller has to change
 * before trying again (run `migrate` first, a non-empty database, a file from a newer
 * release). The CLI exits 2 for these and 1 for failures of the work itself.
 */
export class UsageError extends Error {}
