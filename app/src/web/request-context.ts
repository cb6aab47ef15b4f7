// What the HTTP pipeline attaches to each request (see http-app.ts for the order).
import 'fastify';

/** The signed-in user as pages need it. */
export interface SignedInUser {
  id: number;
  email: string;
}

export interface ActiveSession {
  /** The session's id in the database (a hash of the cookie's token). */
  id: string;
  user: SignedInUser;
}

/** A pad as the layout's "My pads" column and the note form list it. */
export interface PadLink {
  id: number;
  name: string;
}

declare module 'fastify' {
  interface FastifyRequest {
    /** The request's cookies, parsed once. */
    cookies: Record<string, string | undefined>;
    /** The signed-in session, or null for an anonymous visitor. */
    session: ActiveSession | null;
    /**
     * The signed-in user's pads, read at most once per request however many parts of the
     * page need them (the layout, the note form, a pad page).
     */
    userPads: (() => Promise<PadLink[]>) | null;
  }
}
