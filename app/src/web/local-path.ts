/** `next` after sign-in: only a path on this site ("/x", not "//host" or "/\host"), else "/". */
export function safeNextPath(value: unknown): string {
  if (typeof value !== 'string' || value.length > 2000) return '/';
  if (!value.startsWith('/') || value.startsWith('//') || value.startsWith('/\\')) return '/';
  if (/\p{Cc}/u.test(value)) return '/';
  return value;
}
