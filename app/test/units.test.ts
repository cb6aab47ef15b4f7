import { RateLimiter, tooManyAttemptsMessage } from '../src/auth/rate-limiter';
import { formatLastChange } from '../src/web/dates';
import { safeNextPath } from '../src/web/local-path';
import { parseNoteOrder } from '../src/notes/note-order';

describe('formatLastChange', () => {
  const now = new Date(2026, 5, 15, 14, 30);
  it.each([
    [new Date(2026, 5, 15, 9, 5), 'Today at 09:05'],
    [new Date(2026, 5, 15, 0, 0), 'Today at 00:00'],
    [new Date(2026, 5, 14, 23, 59), 'Yesterday at 23:59'],
    [new Date(2026, 5, 13, 23, 59), '2 days ago'],
    [new Date(2026, 5, 8, 1, 0), '7 days ago'],
    [new Date(2026, 5, 7, 23, 0), '2026-06-07'],
    [new Date(2025, 0, 3, 12, 0), '2025-01-03'],
  ])('shows %s as %s', (date, text) => {
    expect(formatLastChange(date, now)).toBe(text);
  });
});

describe('parseNoteOrder', () => {
  it('knows the four orders and falls back to newest first', () => {
    for (const order of ['name', '-name', 'updated_at', '-updated_at'])
      expect(parseNoteOrder(order)).toBe(order);
    for (const other of [undefined, '', 'id', ['name'], 'constructor', '__proto__']) {
      expect(parseNoteOrder(other)).toBe('-updated_at');
    }
  });
});

describe('safeNextPath', () => {
  it.each([
    ['/pads/1/', '/pads/1/'],
    ['/notes/create/?pad=2', '/notes/create/?pad=2'],
    ['//evil.example', '/'],
    ['/\\evil.example', '/'],
    ['https://evil.example/', '/'],
    ['javascript:alert(1)', '/'],
    ['/x\r\nLocation: https://evil', '/'],
    [undefined, '/'],
    [['/a', '/b'], '/'],
  ])('turns %j into %s', (next, expected) => {
    expect(safeNextPath(next)).toBe(expected);
  });
});

describe('RateLimiter', () => {
  it('allows the limit per key per window, then says how long to wait', () => {
    let now = 0;
    const limiter = new RateLimiter(3, 60_000, () => now);
    expect([1, 2, 3].map(() => limiter.hit('ip:a'))).toEqual([0, 0, 0]);
    expect(limiter.hit('ip:a')).toBe(60);
    expect(limiter.hit('ip:b')).toBe(0);
    now = 30_000;
    expect(limiter.hitAll(['ip:b', 'ip:a'])).toBe(30);
    now = 60_000;
    expect(limiter.hit('ip:a')).toBe(0);
    expect(tooManyAttemptsMessage(30)).toBe('Too many attempts. Try again in 1 minute.');
    expect(tooManyAttemptsMessage(600)).toBe('Too many attempts. Try again in 10 minutes.');
  });
});
