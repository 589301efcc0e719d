/**
 * The egress guard (issue 17, reliability.md S4): every outbound request a producer makes on a
 * user's behalf is checked after DNS resolution, and again on every redirect.
 * - Always refused: link-local (169.254/16, fe80::/10, where cloud metadata lives), `0.0.0.0/8`,
 *   `::`, multicast and reserved ranges.
 * - Refused unless the allow-list admits them: loopback (127/8, ::1), private ranges (10/8,
 *   172.16/12, 192.168/16, fc00::/7), CGNAT (100.64/10), benchmarking (198.18/15).
 * - IPv4-mapped IPv6 (`::ffff:127.0.0.1`) is judged as the IPv4 address; decimal, octal and hex
 *   forms (`2130706433`, `017700000001`, `0x7f000001`) are normalised by the URL parser first.
 * The allow-list (`RUNYARD_EGRESS_ALLOW`): CIDRs (`10.0.0.0/8`, `::1/128`) and host names
 * (`api.internal`, `*.corp.example`). A refusal is `PermanentError` `egress_blocked` naming the
 * address. Limitation: the address is checked, then `fetch` resolves the name again; a DNS
 * server answering differently within that gap is not caught (pinning needs a custom agent).
 */
import { BlockList, isIP } from 'node:net';
import { lookup } from 'node:dns/promises';
import { PermanentError } from '../core/errors.js';

/** Resolves a host name to its addresses (injectable for tests). */
export type Resolver = (host: string) => Promise<string[]>;

const systemResolver: Resolver = async (host) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

function blockList(entries: [string, number, 'ipv4' | 'ipv6'][]): BlockList {
  const b = new BlockList();
  for (const [net, prefix, type] of entries) b.addSubnet(net, prefix, type);
  return b;
}

/** Never reachable, whatever the allow-list says. */
const ALWAYS: [BlockList, string][] = [
  [
    blockList([
      ['169.254.0.0', 16, 'ipv4'],
      ['fe80::', 10, 'ipv6'],
      ['fd00:ec2::', 32, 'ipv6'],
    ]),
    'link-local / cloud metadata',
  ],
  [
    blockList([
      ['0.0.0.0', 8, 'ipv4'],
      ['::', 128, 'ipv6'],
    ]),
    'unspecified',
  ],
  [
    blockList([
      ['224.0.0.0', 4, 'ipv4'],
      ['240.0.0.0', 4, 'ipv4'],
      ['ff00::', 8, 'ipv6'],
    ]),
    'multicast / reserved',
  ],
];

/** Reachable only through the allow-list. */
const GUARDED: [BlockList, string][] = [
  [
    blockList([
      ['127.0.0.0', 8, 'ipv4'],
      ['::1', 128, 'ipv6'],
    ]),
    'loopback',
  ],
  [
    blockList([
      ['10.0.0.0', 8, 'ipv4'],
      ['172.16.0.0', 12, 'ipv4'],
      ['192.168.0.0', 16, 'ipv4'],
      ['fc00::', 7, 'ipv6'],
    ]),
    'private',
  ],
  [
    blockList([
      ['100.64.0.0', 10, 'ipv4'],
      ['198.18.0.0', 15, 'ipv4'],
    ]),
    'shared / benchmarking',
  ],
];

/** The allow-list, parsed. */
export interface EgressAllow {
  cidrs: BlockList;
  hosts: string[];
  /** The entries as configured (for messages). */
  text: string;
}

/**
 * Parses `RUNYARD_EGRESS_ALLOW`: comma-separated CIDRs or host names.
 * @throws PermanentError `invalid_egress_allow` naming the bad entry
 */
export function parseEgressAllow(text: string | undefined): EgressAllow {
  const cidrs = new BlockList();
  const hosts: string[] = [];
  for (const raw of (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const m = /^(.+)\/(\d{1,3})$/.exec(raw);
    const ip = m ? (m[1] ?? '') : raw;
    const type = isIP(ip.replace(/^\[|\]$/g, ''));
    if (type !== 0) {
      const bits = m ? Number(m[2]) : type === 4 ? 32 : 128;
      if (bits > (type === 4 ? 32 : 128))
        throw new PermanentError('invalid_egress_allow', `RUNYARD_EGRESS_ALLOW: ${JSON.stringify(raw)} has an invalid prefix`);
      cidrs.addSubnet(ip.replace(/^\[|\]$/g, ''), bits, type === 4 ? 'ipv4' : 'ipv6');
    } else if (/^(\*\.)?[a-z0-9.-]+$/i.test(raw)) hosts.push(raw.toLowerCase().replace(/\.$/, ''));
    else throw new PermanentError('invalid_egress_allow', `RUNYARD_EGRESS_ALLOW: ${JSON.stringify(raw.slice(0, 100))} is neither a CIDR nor a host name`);
  }
  return { cidrs, hosts, text: text ?? '' };
}

/** Checks outbound destinations against the policy. */
export class EgressGuard {
  constructor(
    private readonly allow: EgressAllow,
    private readonly resolve: Resolver = systemResolver,
  ) {}

  #hostAllowed(host: string): boolean {
    const h = host.toLowerCase().replace(/\.$/, '');
    return this.allow.hosts.some((a) => (a.startsWith('*.') ? h.endsWith(a.slice(1)) : h === a));
  }

  /** Why `ip` may not be reached, or undefined when it may. */
  refusal(ip: string, host: string): string | undefined {
    const type = isIP(ip) === 6 ? 'ipv6' : 'ipv4';
    for (const [list, what] of ALWAYS) if (list.check(ip, type)) return what;
    for (const [list, what] of GUARDED) {
      if (list.check(ip, type) && !this.allow.cidrs.check(ip, type) && !this.#hostAllowed(host)) return what;
    }
    return undefined;
  }

  /**
   * Resolves the URL's host and checks every address it has.
   * @throws PermanentError `egress_blocked` naming the host and address; `egress_unresolved`
   */
  async check(url: URL): Promise<void> {
    const host = url.hostname.replace(/^\[|\]$/g, '');
    let addresses: string[];
    if (isIP(host) !== 0) addresses = [host];
    else {
      try {
        addresses = await this.resolve(host);
      } catch (err) {
        throw new PermanentError('egress_unresolved', `${host}: cannot be resolved (${(err as { code?: string }).code ?? 'DNS error'})`);
      }
    }
    for (const ip of addresses) {
      const why = this.refusal(ip, host);
      if (why) {
        throw new PermanentError(
          'egress_blocked',
          `${url.protocol}//${url.host}: ${ip} is ${why}; outbound requests there are refused (RUNYARD_EGRESS_ALLOW)`,
          {
            host,
            address: ip,
          },
        );
      }
    }
  }
}
