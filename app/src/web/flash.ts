import type { Request } from 'express';
import type { FlashKind, FlashMessage } from '../sessions/session-data';

export function flash(req: Request, kind: FlashKind, text: string): void {
  req.session.flash = [...(req.session.flash ?? []), { kind, text }];
}

/** Messages to show on this page; they are shown once. */
export function takeFlash(req: Request): FlashMessage[] {
  const messages = req.session?.flash ?? [];
  if (messages.length > 0) delete req.session.flash;
  return messages;
}
