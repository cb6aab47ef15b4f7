import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { cookie, expiredCookie } from './cookies';
import { deriveKey, sameString, sign } from './secret-keys';

export type FlashKind = 'success' | 'error';

export interface FlashMessage {
  kind: FlashKind;
  text: string;
}

const FLASH_COOKIE = 'notejam.flash';

/**
 * Messages shown once on the next page ("Note is successfully created"), carried by a
 * signed cookie: they need no session, so anonymous visitors (after sign-up, a reset) get
 * them without a session row. Signed, so another site cannot put words on our pages.
 */
@Injectable()
export class Flash {
  private readonly key: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = deriveKey(config.sessionSecret, 'flash');
  }

  /** The messages waiting for this request's page (a tampered cookie carries none). */
  waiting(req: FastifyRequest): FlashMessage[] {
    const value = req.cookies[FLASH_COOKIE];
    if (value === undefined) return [];
    const dot = value.lastIndexOf('.');
    const payload = value.slice(0, dot);
    if (dot < 0 || !sameString(sign(this.key, payload), value.slice(dot + 1))) return [];
    try {
      const messages: unknown = JSON.parse(Buffer.from(payload, 'base64url').toString());
      return Array.isArray(messages) ? (messages as FlashMessage[]) : [];
    } catch {
      return [];
    }
  }

  /** The Set-Cookie that keeps `messages` (after those still waiting) for the next page. */
  keep(req: FastifyRequest, messages: FlashMessage[]): string {
    const payload = Buffer.from(JSON.stringify([...this.waiting(req), ...messages])).toString(
      'base64url',
    );
    return cookie(req, FLASH_COOKIE, `${payload}.${sign(this.key, payload)}`);
  }

  /** The Set-Cookie that removes shown messages, when there were any. */
  clear(req: FastifyRequest): string | undefined {
    return req.cookies[FLASH_COOKIE] === undefined ? undefined : expiredCookie(req, FLASH_COOKIE);
  }
}
