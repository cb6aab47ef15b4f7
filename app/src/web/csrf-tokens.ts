import { randomBytes } from 'node:crypto';
import { Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { APP_CONFIG, type AppConfig } from '../config/config';
import { cookie } from './cookies';
import { deriveKey, sameString, sign } from './secret-keys';

/** An anonymous visitor's random value the CSRF token is bound to (no session needed). */
export const ANONYMOUS_CSRF_COOKIE = 'notejam.csrf';
const NONCE = /^[A-Za-z0-9_-]{22}$/;

/**
 * CSRF tokens that need no storage: an HMAC of what identifies the browser — its session
 * when signed in, else a random value in a cookie of its own (a "signed double-submit
 * cookie"). A forged form cannot carry the token: the attacker's site can neither read the
 * page it is on nor set our cookies.
 */
@Injectable()
export class CsrfTokens {
  private readonly key: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    this.key = deriveKey(config.sessionSecret, 'csrf');
  }

  /** The token for the forms of a page; `setCookie` when an anonymous visitor gets its value. */
  issue(req: FastifyRequest): { token: string; setCookie?: string } {
    const binding = this.binding(req);
    if (binding !== undefined) return { token: sign(this.key, binding) };
    const nonce = randomBytes(16).toString('base64url');
    return {
      token: sign(this.key, `anonymous:${nonce}`),
      setCookie: cookie(req, ANONYMOUS_CSRF_COOKIE, nonce),
    };
  }

  isValid(req: FastifyRequest, given: unknown): boolean {
    const binding = this.binding(req);
    return binding !== undefined && sameString(sign(this.key, binding), given);
  }

  private binding(req: FastifyRequest): string | undefined {
    if (req.session) return `session:${req.session.id}`;
    const nonce = req.cookies[ANONYMOUS_CSRF_COOKIE];
    return nonce !== undefined && NONCE.test(nonce) ? `anonymous:${nonce}` : undefined;
  }
}
