import { createHmac, timingSafeEqual } from 'node:crypto';

/** A key for one purpose, derived from SESSION_SECRET, so no two uses share a key. */
export function deriveKey(secret: string, purpose: string): Buffer {
  return createHmac('sha256', secret).update(`notejam:${purpose}`).digest();
}

/** The HMAC-SHA256 of `value`, base64url. */
export function sign(key: Buffer, value: string): string {
  return createHmac('sha256', key).update(value).digest('base64url');
}

/** Constant-time comparison of two strings (false for anything that is not a string). */
export function sameString(expected: string, given: unknown): boolean {
  if (typeof given !== 'string') return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
