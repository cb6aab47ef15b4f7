import { canonicalJson, stableHash } from './canonical-json.js';

describe('canonicalJson', () => {
  it('sorts keys at every depth and leaves undefined members out', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 2, c: undefined }] })).toBe('{"a":[{"d":2}],"b":1}');
  });

  it('writes undefined on its own as null', () => {
    expect(canonicalJson(undefined)).toBe('null');
  });
});

describe('stableHash', () => {
  it('is equal for equal values whatever their key order, and differs otherwise', () => {
    expect(stableHash({ a: 1, b: 2 })).toBe(stableHash({ b: 2, a: 1 }));
    expect(stableHash({ a: 1 })).not.toBe(stableHash({ a: 2 }));
  });

  it('is a full SHA-256 hex digest unless cut to a length', () => {
    expect(stableHash('x')).toMatch(/^[0-9a-f]{64}$/);
    expect(stableHash('x', 16)).toBe(stableHash('x').slice(0, 16));
  });
});
