// What the HTTP pipeline attaches to each request.
import type { User } from '../database/entities';

declare module 'express-serve-static-core' {
  interface Request {
    /** The signed-in user, loaded once per request from the session. */
    currentUser?: User;
  }
}

export {};
