import { BlockList, isIP } from 'node:net';

/**
 * Which IP addresses a node endpoint may resolve to. A node URL is a provider's claim; the
 * gateway posts developers' bodies there and relays the answer back, so an address inside our
 * network (a database, Redis, the cloud metadata service) must never be one (DESIGN.md, Trust).
 * Pure: no DNS, no clock.
 */
export type AddressRefusal = 'unspecified' | 'loopback' | 'private' | 'link_local' | 'cgnat' | 'multicast' | 'cloud_metadata' | 'reserved' | 'not_an_ip';

type Range = [network: string, prefix: number];

/** Special-purpose ranges (IANA IPv4/IPv6 special-purpose registries) a public node never has. */
const V4: Record<Exclude<AddressRefusal, 'not_an_ip' | 'cloud_metadata'>, Range[]> = {
  unspecified: [['0.0.0.0', 8]],
  loopback: [['127.0.0.0', 8]],
  private: [
    ['10.0.0.0', 8],
    ['172.16.0.0', 12],
    ['192.168.0.0', 16],
  ],
  link_local: [['169.254.0.0', 16]],
  cgnat: [['100.64.0.0', 10]],
  multicast: [['224.0.0.0', 4]],
  // IETF protocol assignments, documentation, benchmarking, 6to4 relay anycast, class E, broadcast.
  reserved: [
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['192.88.99.0', 24],
    ['240.0.0.0', 4],
  ],
};
const V6: Record<Exclude<AddressRefusal, 'not_an_ip' | 'cloud_metadata' | 'cgnat'>, Range[]> = {
  unspecified: [['::', 128]],
  loopback: [['::1', 128]],
  private: [
    ['fc00::', 7],
    ['fec0::', 10],
  ],
  link_local: [['fe80::', 10]],
  multicast: [['ff00::', 8]],
  // Discard-only, documentation, Teredo and ORCHID-style tunnels whose real endpoint is hidden, local-use NAT64.
  reserved: [
    ['100::', 64],
    ['2001:db8::', 32],
    ['2001::', 32],
    ['2001:10::', 28],
    ['2001:20::', 28],
    ['64:ff9b:1::', 48],
  ],
};
/** Instance metadata services (AWS, GCP, Azure, Oracle, ECS/EKS, Alibaba): refused even inside an allowed range. */
const METADATA: Range[] = [
  ['169.254.169.254', 32],
  ['169.254.170.2', 32],
  ['169.254.170.23', 32],
  ['100.100.100.200', 32],
  ['192.0.0.192', 32],
  ['fd00:ec2::254', 128],
  ['fd00:ec2::23', 128],
];

function blockList(ranges: Range[]): BlockList {
  const list = new BlockList();
  for (const [network, prefix] of ranges) list.addSubnet(network, prefix, isIP(network) === 6 ? 'ipv6' : 'ipv4');
  return list;
}

const V4_LISTS = Object.entries(V4).map(([reason, ranges]) => [reason as AddressRefusal, blockList(ranges)] as const);
const V6_LISTS = Object.entries(V6).map(([reason, ranges]) => [reason as AddressRefusal, blockList(ranges)] as const);
const METADATA_LIST = blockList(METADATA);

/** The 16 bytes of an IPv6 address (any textual form, an embedded dotted quad included). */
function ipv6Bytes(address: string): number[] {
  let text = address;
  const quad = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(text);
  if (quad) {
    const [a, b, c, d] = quad.slice(1).map(Number);
    text = `${text.slice(0, quad.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.split('::');
  const groups = (s: string | undefined) => (s ? s.split(':').filter(Boolean) : []);
  const left = groups(head);
  const right = tail === undefined ? [] : groups(tail);
  const all = [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return all.flatMap((g) => {
    const n = parseInt(g, 16);
    return [n >> 8, n & 0xff];
  });
}

const v4From = (bytes: number[], at: number) => bytes.slice(at, at + 4).join('.');

/**
 * An IPv6 address that carries an IPv4 one reaches (or claims) that IPv4 host: IPv4-mapped
 * (::ffff:a.b.c.d), IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96) and 6to4 (2002::/16).
 */
export function embeddedIpv4(address: string): string | null {
  const b = ipv6Bytes(address);
  const zeros = (from: number, to: number) => b.slice(from, to).every((x) => x === 0);
  if (zeros(0, 10) && b[10] === 0xff && b[11] === 0xff) return v4From(b, 12);
  if (zeros(0, 12) && !zeros(12, 14)) return v4From(b, 12); // ::a.b.c.d (leaves :: and ::1 to the IPv6 rules)
  if (b[0] === 0x00 && b[1] === 0x64 && b[2] === 0xff && b[3] === 0x9b && zeros(4, 12)) return v4From(b, 12);
  if (b[0] === 0x20 && b[1] === 0x02) return v4From(b, 2);
  return null;
}

/** Why this address is not a public one, or null when it is. */
export function classifyAddress(address: string): AddressRefusal | null {
  const family = isIP(address);
  if (family === 0) return 'not_an_ip';
  if (family === 6) {
    const v4 = embeddedIpv4(address);
    if (v4 !== null) return classifyAddress(v4);
    if (METADATA_LIST.check(address, 'ipv6')) return 'cloud_metadata';
    return V6_LISTS.find(([, list]) => list.check(address, 'ipv6'))?.[0] ?? null;
  }
  if (METADATA_LIST.check(address, 'ipv4')) return 'cloud_metadata';
  return V4_LISTS.find(([, list]) => list.check(address, 'ipv4'))?.[0] ?? null;
}

/**
 * The policy: public addresses pass; an internal one passes only inside a range the operator
 * listed (NODE_ALLOWED_CIDRS, for private deployments and local development); cloud metadata
 * never does.
 */
export class AddressPolicy {
  private readonly allowed: BlockList;

  constructor(allowedCidrs: readonly string[]) {
    this.allowed = blockList(
      allowedCidrs.map((cidr) => {
        const slash = cidr.lastIndexOf('/');
        return [cidr.slice(0, slash), Number(cidr.slice(slash + 1))] as Range;
      }),
    );
  }

  refusal(address: string): AddressRefusal | null {
    const reason = classifyAddress(address);
    if (reason === null || reason === 'not_an_ip' || reason === 'cloud_metadata') return reason;
    const family = isIP(address);
    const v4 = family === 6 ? embeddedIpv4(address) : null;
    const allowed = v4 !== null ? this.allowed.check(v4, 'ipv4') : this.allowed.check(address, family === 6 ? 'ipv6' : 'ipv4');
    return allowed ? null : reason;
  }
}
