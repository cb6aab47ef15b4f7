import { notejamInstance } from '../../../test/fixtures/instances.js';
import { randomSessionSecret, sessionSecret, sessionSecretKey } from './session-secret.js';

describe('sessionSecret', () => {
  it('keeps the given value under the key the Deployment reads, immutable', () => {
    const value = randomSessionSecret();
    const secret = sessionSecret(notejamInstance(), value);
    expect(secret).toMatchObject({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'Opaque',
      immutable: true,
      metadata: { name: 'notejam-session', namespace: 'notejam-test' },
    });
    expect(Buffer.from(secret.data![sessionSecretKey]!, 'base64').toString()).toBe(value);
  });

  it('generates a new 256-bit value each time, long enough for the app', () => {
    const values = new Set(Array.from({ length: 20 }, randomSessionSecret));
    expect(values.size).toBe(20);
    for (const value of values) expect(value).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses a value the app would refuse', () => {
    expect(() => sessionSecret(notejamInstance(), 'short')).toThrow(/at least 32 characters/);
  });
});
