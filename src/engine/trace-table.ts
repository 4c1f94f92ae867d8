// The nft table that marks a probe's first packet for tracing, and the chains that show where it went.
import { isIPv4, isIPv6 } from 'node:net';
import type { Probe } from '../check/types.js';

export const TRACE_TABLE = 'lab_trace';
// Our own chains: two that mark (before raw, conntrack and nat), three that only witness a hook.
export const MARK_CHAINS = ['mark_pre', 'mark_out'] as const;
export const WITNESS = { at_input: 'input', at_forward: 'forward', at_post: 'postrouting' } as const;

// "ip daddr 203.0.113.8" for an address, nothing for a name (the packet is still narrowed by protocol and port).
function daddr(host: string): string[] {
  const h = host.replace(/^\[|\]$/g, '');
  if (isIPv4(h)) return ['ip daddr', h];
  if (isIPv6(h)) return ['ip6 daddr', h];
  return [];
}

// The narrowest nft match a probe allows: destination, protocol, port or ICMP type.
export function probeMatch(p: Probe): string {
  switch (p.kind) {
    case 'ping':
      return [...daddr(p.to), p.ipv6 || isIPv6(p.to) ? 'icmpv6 type echo-request' : 'icmp type echo-request'].join(' ');
    case 'tcp':
      return [...daddr(p.to), 'tcp dport', String(p.port)].join(' ');
    case 'udp':
      return [...daddr(p.to), 'udp dport', String(p.port)].join(' ');
    case 'http': {
      const u = new URL(p.url);
      const port = u.port || (u.protocol === 'https:' ? '443' : '80');
      return [...daddr(u.hostname), 'tcp dport', port].join(' ');
    }
  }
}

// The nft script that adds the table: one shared limit lets only the first matching packet be marked.
export function traceTableScript(match: string): string {
  const t = `inet ${TRACE_TABLE}`;
  const mark = `${match} limit name "once" meta nftrace set 1`;
  return [
    `add table ${t}`,
    `add limit ${t} once { rate 1/hour burst 1 packets; }`,
    `add chain ${t} mark_pre { type filter hook prerouting priority -350; }`,
    `add rule ${t} mark_pre ${mark}`,
    `add chain ${t} mark_out { type filter hook output priority -350; }`,
    `add rule ${t} mark_out ${mark}`,
    ...Object.entries(WITNESS).map(
      ([chain, hook]) => `add chain ${t} ${chain} { type filter hook ${hook} priority 1000; }`,
    ),
    '',
  ].join('\n');
}
