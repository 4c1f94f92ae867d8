// Turns a node's trace events into the packet's path: one line per chain, rule and movement, and its fate.
import { MARK_CHAINS, TRACE_TABLE } from './trace-table.js';
import type { NodeTrace, TraceEvent, TraceHop, TracePacket } from './trace-types.js';

export interface NodeContext {
  node: string;
  ipt: Map<string, string>; // "ip nat 2" -> iptables form of that rule
  forwarding?: string; // the node's net.ipv4.ip_forward (or IPv6 forwarding), as read after the probe
}

type Move = 'in' | 'sent' | 'forward' | 'input' | 'post';

// "172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=64", "10.0.2.2:40512 -> 10.0.2.15:8080 TCP SYN ttl=64".
export function formatTracePacket(p: TracePacket): string {
  const ep = (a?: string, port?: number): string => `${a ?? '?'}${port === undefined ? '' : `:${port}`}`;
  const proto = (p.proto ?? 'IP').toUpperCase();
  const detail = p.icmpType ?? p.tcpFlags?.toUpperCase();
  return [`${ep(p.src, p.sport)} -> ${ep(p.dst, p.dport)}`, proto, ...(detail ? [detail] : []), ...(p.ttl === undefined ? [] : [`ttl=${p.ttl}`])].join(' ');
}

// "nat POSTROUTING" for iptables' ip tables, "ip6 nat POSTROUTING", "inet filter forward" for the rest.
export function chainLabel(e: Pick<TraceEvent, 'family' | 'table' | 'chain'>): string {
  return e.family === 'ip' ? `${e.table} ${e.chain}` : `${e.family} ${e.table} ${e.chain}`;
}

// What a rule did, in its own words: masquerade, dnat, reject, or the verdict.
function ruleAction(ipt: string | undefined, nft: string | undefined, verdict: string): string {
  const j = ipt && /(?:^| )-j (MASQUERADE|SNAT|DNAT|REDIRECT|REJECT)\b/.exec(ipt)?.[1];
  if (j) return j.toLowerCase();
  const n = nft && /(?:^| )(masquerade|snat|dnat|redirect|reject)\b/.exec(nft)?.[1];
  return n || verdict;
}

// "source 172.17.0.100 -> 10.0.2.15", "destination 10.0.2.15:8080 -> 172.17.0.100:80", from two dumps.
export function rewriteOf(before: TracePacket, after: TracePacket): string {
  const ep = (a?: string, port?: number): string => `${a ?? '?'}${port === undefined ? '' : `:${port}`}`;
  const parts: string[] = [];
  if (before.src !== after.src || before.sport !== after.sport) parts.push(`source ${ep(before.src, before.sport)} -> ${ep(after.src, after.sport)}`);
  if (before.dst !== after.dst || before.dport !== after.dport) parts.push(`destination ${ep(before.dst, before.dport)} -> ${ep(after.dst, after.dport)}`);
  return parts.length ? parts.join(', ') : 'addresses unchanged';
}

const NAT = new Set(['masquerade', 'snat', 'dnat', 'redirect']);

// A node's path from its trace events, in the order the kernel sent them.
export function formatNodeTrace(events: TraceEvent[], ctx: NodeContext): NodeTrace {
  const lines: string[] = [];
  const hops: TraceHop[] = [];
  let chainPacket: TracePacket | undefined;
  let pendingNat: { hop: TraceHop; line: number; before: TracePacket } | undefined;
  let last: Move | undefined;
  let lastPacket: TracePacket | undefined;
  let died: string | undefined;
  for (const e of events) {
    const ours = e.family === 'inet' && e.table === TRACE_TABLE;
    if (e.kind === 'packet' && e.packet) {
      if (pendingNat) {
        pendingNat.hop.effect = rewriteOf(pendingNat.before, e.packet);
        pendingNat.hop.text += ` (${pendingNat.hop.effect})`;
        lines[pendingNat.line] = pendingNat.hop.text;
        pendingNat = undefined;
      }
      chainPacket = e.packet;
      lastPacket = e.packet;
      if (!ours) continue;
      const move = movement(e.chain, e.packet, ctx.node);
      if (move) {
        last = move.move;
        lines.push(move.line);
      }
      continue;
    }
    if (ours) continue;
    const hop = hopOf(e, ctx.ipt);
    hops.push(hop);
    lines.push(hop.text);
    if (NAT.has(hop.verdict) && chainPacket) pendingNat = { hop, line: lines.length - 1, before: chainPacket };
    if (/^(drop|reject)$/.test(hop.verdict) || e.verdict === 'drop') {
      died = hop.text;
      lines[lines.length - 1] = `${hop.text}   <- the packet died here`;
    }
  }
  const fate = died ? `died: ${died}` : fateOf(last, lastPacket, ctx);
  if (!died && (!last || last === 'in' || last === 'sent' || last === 'forward')) lines.push(fate);
  return { node: ctx.node, hops, fate, ...(died ? { died } : {}), lines, raw: events.map((e) => e.line) };
}

// A line for each of our own chains the packet reached: it came in, was sent, forwarded, delivered, left.
function movement(chain: string, p: TracePacket, node: string): { move: Move; line: string } | undefined {
  const pkt = formatTracePacket(p);
  if (chain === MARK_CHAINS[0]) return { move: 'in', line: `in ${p.iif ?? '?'}: ${pkt}` };
  if (chain === MARK_CHAINS[1]) return { move: 'sent', line: `sent: ${pkt}` };
  if (chain === 'at_forward') return { move: 'forward', line: `forwarded ${p.iif ?? '?'} -> ${p.oif ?? '?'}` };
  if (chain === 'at_input') return { move: 'input', line: `delivered to ${node} itself: ${pkt}` };
  if (chain === 'at_post') return { move: 'post', line: `out ${p.oif ?? '?'}: ${pkt}` };
  return undefined;
}

// One rule, policy or chain end, as a line: "nat POSTROUTING  rule -s ... -j MASQUERADE  -> masquerade".
function hopOf(e: TraceEvent, ipt: Map<string, string>): TraceHop {
  const base = { family: e.family, table: e.table, chain: e.chain };
  const label = chainLabel(e);
  const verdict = e.verdict ?? '?';
  if (e.kind === 'policy') return { ...base, kind: 'policy', verdict, text: `${label} policy ${verdict}` };
  if (e.kind === 'return') return { ...base, kind: 'return', verdict, text: `${label} end of chain -> ${verdict === 'continue' ? 'back to the calling chain' : verdict}` };
  const asIpt = e.handle === undefined ? undefined : ipt.get(`${e.family} ${e.table} ${e.handle}`);
  const rule = asIpt ?? (e.kind === 'unknown-rule' ? `handle ${e.handle} (unknown to nft's cache)` : (e.rule ?? '?'));
  const action = ruleAction(asIpt, e.rule, verdict);
  return { ...base, kind: 'rule', rule, ruleSyntax: asIpt ? 'iptables' : 'nft', verdict: action, text: `${label}  rule ${rule}  -> ${action}` };
}

// Where the packet went last, in words; for a packet that stopped after prerouting, the likely why.
function fateOf(last: Move | undefined, p: TracePacket | undefined, ctx: NodeContext): string {
  switch (last) {
    case 'post':
      return `left ${ctx.node} by ${p?.oif ?? '?'}`;
    case 'input':
      return `delivered to ${ctx.node} itself`;
    case 'forward':
      return `forwarded, but not seen leaving ${ctx.node}`;
    case 'sent':
      return `sent, but not seen leaving ${ctx.node}: its routing found no way out`;
    case 'in':
      if (ctx.forwarding === '0')
        return `not forwarded: net.ipv4.ip_forward is 0 in ${ctx.node}, so this packet for another machine was dropped right after prerouting (no FORWARD and no INPUT chain saw it)`;
      return `not forwarded and not delivered: after prerouting no FORWARD or INPUT chain saw it (ip_forward is ${ctx.forwarding ?? 'unknown'}; no route back, or the reverse-path filter?)`;
    case undefined:
      return `no packet of the probe was seen in ${ctx.node}`;
  }
}
