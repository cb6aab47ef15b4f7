import { parse, serialize, type SerializeOptions } from 'cookie';
import type { FastifyRequest } from 'fastify';

/** The request's cookies; a malformed header counts as none. */
export function parseCookies(header: string | undefined): Record<string, string | undefined> {
  if (header === undefined || header === '') return {};
  try {
    return parse(header);
  } catch {
    return {};
  }
}

/**
 * A Set-Cookie value with the flags every Notejam cookie has: not readable by scripts, not
 * sent with cross-site form posts, and Secure once the request came over HTTPS (behind a
 * TLS-terminating proxy the app trusts, see TRUST_PROXY).
 */
export function cookie(
  req: FastifyRequest,
  name: string,
  value: string,
  options: Pick<SerializeOptions, 'maxAge'> = {},
): string {
  return serialize(name, value, {
    path: '/',
    httpOnly: true,
    sameSite: 'lax',
    secure: req.protocol === 'https',
    ...options,
  });
}

/** A Set-Cookie value that removes the cookie. */
export function expiredCookie(req: FastifyRequest, name: string): string {
  return cookie(req, name, '', { maxAge: 0 });
}
