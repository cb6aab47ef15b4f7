// What the app keeps in a session.
import 'express-session';

export type FlashKind = 'success' | 'error';

export interface FlashMessage {
  kind: FlashKind;
  text: string;
}

declare module 'express-session' {
  interface SessionData {
    userId?: number;
    csrfToken?: string;
    flash?: FlashMessage[];
  }
}
