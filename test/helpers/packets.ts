// Hand-built packets for unit tests of matchers, verdicts and reports.
import type { Packet } from '../../src/capture/types.js';

let ts = 1_700_000_000_000_000;

// An IPv4 ICMP echo packet.
export function echo(kind: 'request' | 'reply', src: string, dst: string, ttl = 64, id = 0x19): Packet {
  ts += 1000;
  return {
    tsUs: ts,
    caplen: 98,
    len: 98,
    proto: 'icmp',
    ip: { version: 4, src, dst, ttl, proto: 1, len: 84 },
    icmp: { version: 4, type: kind === 'request' ? 8 : 0, code: 0, name: `echo-${kind}`, id, seq: 1 },
  };
}

// A TCP segment.
export function seg(
  src: string,
  sport: number,
  dst: string,
  dport: number,
  flags: string,
  extra: Partial<Packet> = {},
): Packet {
  ts += 1000;
  return {
    tsUs: ts,
    caplen: 66,
    len: 66,
    proto: 'tcp',
    ip: { version: 4, src, dst, ttl: 64, proto: 6, len: 52 },
    tcp: { sport, dport, flags, seq: 1, ack: 0, payloadLen: 0 },
    ...extra,
  };
}

// An ARP request or reply.
export function arpPkt(op: 'request' | 'reply', senderIp: string, targetIp: string): Packet {
  ts += 1000;
  return {
    tsUs: ts,
    caplen: 42,
    len: 42,
    proto: 'arp',
    arp: { op, senderMac: '02:00:00:00:00:01', senderIp, targetMac: '00:00:00:00:00:00', targetIp },
  };
}

// An IPv6 neighbour solicitation (noise in most reports).
export function ns6(src: string, dst: string): Packet {
  ts += 1000;
  return {
    tsUs: ts,
    caplen: 86,
    len: 86,
    proto: 'icmp6',
    ip: { version: 6, src, dst, ttl: 255, proto: 58, len: 72 },
    icmp: { version: 6, type: 135, code: 0, name: 'neighbor-solicitation' },
  };
}

// An IGMPv3 membership report to 224.0.0.22 (a bridge's multicast chatter).
export function igmp(src: string): Packet {
  ts += 1000;
  return {
    tsUs: ts,
    caplen: 54,
    len: 54,
    proto: 'ip',
    ip: { version: 4, src, dst: '224.0.0.22', ttl: 1, proto: 2, len: 40 },
  };
}

// An IPv6 neighbour advertisement answering ns6.
export function na6(src: string, dst: string): Packet {
  ts += 1000;
  return {
    tsUs: ts,
    caplen: 86,
    len: 86,
    proto: 'icmp6',
    ip: { version: 6, src, dst, ttl: 255, proto: 58, len: 72 },
    icmp: { version: 6, type: 136, code: 0, name: 'neighbor-advertisement' },
  };
}
