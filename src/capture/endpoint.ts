// Addresses and ports as people read them, and a packet's two ends: one place for both.
import type { Endpoint, Packet } from './types.js';

// "10.0.2.15:8080", "[2001:db8::1]:80", or the bare address when there is no port.
export function formatEndpoint(e: Endpoint): string {
  if (e.port === undefined) return e.addr;
  return e.addr.includes(':') ? `[${e.addr}]:${e.port}` : `${e.addr}:${e.port}`;
}

export interface PacketEnds {
  src: string | undefined; // IP source, or the ARP sender
  dst: string | undefined; // IP destination, or the ARP target
  sport: number | undefined;
  dport: number | undefined;
}

// Who sent a packet to whom, whatever its protocol.
export function packetEnds(p: Packet): PacketEnds {
  const l4 = p.tcp ?? p.udp;
  return { src: p.arp?.senderIp ?? p.ip?.src, dst: p.arp?.targetIp ?? p.ip?.dst, sport: l4?.sport, dport: l4?.dport };
}
