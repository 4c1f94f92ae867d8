// The packet's path: what `lab run --trace` and the walkthrough show after a check.

// Fields of one packet as `nft monitor trace` dumps it at the start of a chain.
export interface TracePacket {
  iif?: string;
  oif?: string;
  src?: string;
  dst?: string;
  proto?: string; // icmp, tcp, udp, icmpv6, ...
  sport?: number;
  dport?: number;
  ttl?: number;
  icmpType?: string;
  tcpFlags?: string;
}

// One line of `nft monitor trace`, parsed.
export interface TraceEvent {
  family: string;
  table: string;
  chain: string;
  kind: 'packet' | 'rule' | 'unknown-rule' | 'policy' | 'return';
  packet?: TracePacket; // kind 'packet'
  rule?: string; // nft's text of the rule, without counters and handle
  handle?: number;
  verdict?: string; // accept, drop, continue, return, jump CHAIN, ...
  line: string;
}

// One chain or rule the packet went through, as shown.
export interface TraceHop {
  family: string;
  table: string;
  chain: string;
  kind: 'rule' | 'policy' | 'return';
  rule?: string; // iptables form when it could be matched by handle, else nft's own text
  ruleSyntax?: 'iptables' | 'nft';
  verdict: string;
  effect?: string; // e.g. "source 172.17.0.100 -> 10.0.2.15"
  text: string; // the whole line, e.g. "filter FORWARD policy drop"
}

// What one node saw of the packet.
export interface NodeTrace {
  node: string;
  hops: TraceHop[];
  fate: string; // where it went or died, in words
  died?: string; // the hop that dropped it
  lines: string[]; // one line per hop and movement, without the node prefix
  raw: string[]; // the monitor's own trace lines, unchanged
  error?: string; // why this node could not be traced
}

export interface TraceResult {
  stepId: string;
  probe: string; // the command that sent the traced packet
  from: string; // its node
  probeExitCode?: number; // of that command, sent once more for the trace
  match: string; // nft match that selected the packet
  nodes: NodeTrace[];
  lines: string[]; // what front ends print: a header, then "[node] ..." lines
  durationMs: number;
  error?: string; // the trace could not be taken at all
}
