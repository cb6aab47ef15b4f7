import { describe, expect, it } from '@jest/globals';
import {
  decideLease,
  leaseRecordFor,
  leaseSpecOnTheWire,
  releasedLeaseRecord,
} from './leader-election.js';

const held = (holder: string, seconds = 15) => ({
  holderIdentity: holder,
  leaseDurationSeconds: seconds,
});

describe('decideLease', () => {
  it('acquires a lease nobody holds', () => {
    expect(decideLease(undefined, 'me', 0, 0)).toBe('acquire');
    expect(decideLease({ leaseDurationSeconds: 1 }, 'me', 0, 0)).toBe('acquire');
  });

  it('renews its own lease', () => {
    expect(decideLease(held('me'), 'me', 0, 1_000_000)).toBe('renew');
  });

  it("waits while another holder's record changed within the lease duration, on the local clock", () => {
    expect(decideLease(held('other'), 'me', 10_000, 24_999)).toBe('wait');
  });

  it('takes over once the record has not changed for the lease duration', () => {
    expect(decideLease(held('other'), 'me', 10_000, 25_000)).toBe('acquire');
  });
});

describe('leaseRecordFor', () => {
  const now = new Date('2026-01-01T00:00:10Z');
  const earlier = new Date('2026-01-01T00:00:00Z');

  it('keeps the acquire time and transition count when renewing', () => {
    const record = leaseRecordFor(
      { ...held('me'), acquireTime: earlier, renewTime: earlier, leaseTransitions: 3 },
      'me',
      15,
      now,
    );
    expect(record).toEqual({
      holderIdentity: 'me',
      leaseDurationSeconds: 15,
      acquireTime: earlier,
      renewTime: now,
      leaseTransitions: 3,
    });
  });

  it('counts a transition when taking over from another holder', () => {
    const record = leaseRecordFor({ ...held('other'), leaseTransitions: 3 }, 'me', 15, now);
    expect(record).toMatchObject({ holderIdentity: 'me', acquireTime: now, leaseTransitions: 4 });
  });

  it('does not count a transition when taking a released or new lease', () => {
    expect(leaseRecordFor(undefined, 'me', 15, now).leaseTransitions).toBe(0);
    expect(leaseRecordFor({ leaseTransitions: 2 }, 'me', 15, now).leaseTransitions).toBe(2);
  });
});

describe('releasedLeaseRecord', () => {
  it('clears the holder so a standby acquires without waiting', () => {
    const released = releasedLeaseRecord({ ...held('me'), leaseTransitions: 5 }, new Date(0));
    expect(released.holderIdentity).toBeUndefined();
    expect(released.leaseTransitions).toBe(5);
    expect(decideLease(released, 'standby', 0, 0)).toBe('acquire');
  });
});

describe('leaseSpecOnTheWire', () => {
  it('writes times as MicroTime: RFC 3339 with exactly six fractional digits', () => {
    const wire = leaseSpecOnTheWire(
      leaseRecordFor(undefined, 'me', 15, new Date('2026-01-01T00:00:10.123Z')),
    );
    expect(wire).toMatchObject({
      acquireTime: '2026-01-01T00:00:10.123000Z',
      renewTime: '2026-01-01T00:00:10.123000Z',
    });
  });

  it('accepts the strings the API server returned', () => {
    expect(leaseSpecOnTheWire({ renewTime: '2026-01-01T00:00:10.123456Z' }).renewTime).toBe(
      '2026-01-01T00:00:10.123000Z',
    );
  });
});
