import { isIPv4, isIPv6 } from 'node:net';

/**
 * What a client address counts as for rate limits: an IPv4 address as it is, an IPv6
 * address as its /64 (one subscriber or host usually holds a whole /64, so counting single
 * addresses would let it rotate through them). IPv4-mapped IPv6 is IPv4.
 */
export function clientAddressGroup(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1];
  if (isIPv4(address) || !isIPv6(address)) return address;
  const [head, tail = ''] = address.split('%')[0].split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = address.includes('::') && tail !== '' ? tail.split(':') : [];
  // An embedded IPv4 tail (64:ff9b::1.2.3.4) takes two groups.
  const ipv4Tail = address.includes('.') ? 1 : 0;
  const missing = 8 - headGroups.length - tailGroups.length - ipv4Tail;
  const groups = [...headGroups, ...Array<string>(Math.max(missing, 0)).fill('0'), ...tailGroups];
  return `${groups
    .slice(0, 4)
    .map((group) => parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
