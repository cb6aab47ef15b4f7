import { describe, expect, it } from '@jest/globals';
import { RegistryAuthorizations } from './authorizations.js';

describe('RegistryAuthorizations', () => {
  it('gives a Bearer token back until 90% of its lifetime has passed', () => {
    let now = 1_000_000;
    const authorizations = new RegistryAuthorizations(10, () => now);
    authorizations.set('r/app|anonymous', 'Bearer t', now, 60_000);
    now += 53_999;
    expect(authorizations.get('r/app|anonymous')).toBe('Bearer t');
    now += 1;
    expect(authorizations.get('r/app|anonymous')).toBeUndefined();
  });

  it('keeps Basic credentials without expiry, and forgets a refused header', () => {
    const authorizations = new RegistryAuthorizations();
    authorizations.set('r/app|abc', 'Basic x', 0);
    expect(authorizations.get('r/app|abc')).toBe('Basic x');
    authorizations.delete('r/app|abc');
    expect(authorizations.get('r/app|abc')).toBeUndefined();
  });

  it('holds at most maxEntries, the least recently used going first', () => {
    const authorizations = new RegistryAuthorizations(2);
    authorizations.set('a', 'A', 0);
    authorizations.set('b', 'B', 0);
    expect(authorizations.get('a')).toBe('A'); // b is now the least recently used
    authorizations.set('c', 'C', 0);
    expect(authorizations.size).toBe(2);
    expect(authorizations.get('b')).toBeUndefined();
    expect(authorizations.get('a')).toBe('A');
    expect(authorizations.get('c')).toBe('C');
  });
});
