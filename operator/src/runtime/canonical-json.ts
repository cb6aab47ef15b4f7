// One canonical serialization for everything the operator compares or hashes (applied
// objects, status, revisions), so equal values always give equal text and equal hashes.
import { createHash } from 'node:crypto';

/** JSON with object keys sorted and undefined members left out. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/** SHA-256 hex of the canonical JSON of a value, optionally cut to `length` characters. */
export function stableHash(value: unknown, length?: number): string {
  const hash = createHash('sha256').update(canonicalJson(value)).digest('hex');
  return length === undefined ? hash : hash.slice(0, length);
}
