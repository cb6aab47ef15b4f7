import type { Request } from 'express';

/** Replaces the session (new id, empty data), e.g. on sign-in. */
export function regenerateSession(req: Request): Promise<void> {
  return new Promise((resolve, reject) =>
    req.session.regenerate((error) => (error ? reject(error) : resolve())),
  );
}
