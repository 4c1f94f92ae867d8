// Turns a node's trace events into the packet's path: one line per chain, rule and movement, and its fate.
import { MARK_CHAINS, TRACE_TABLE } from './trace-table.js';
import type { ChainRules } from './trace-tried.js';
import { whyNotMatched } from './trace-tried.js';
import type { NodeTrace, TraceEvent, TraceHop, TracePacket } from './trace-types.js';

export interface NodeContext {
  node: string;
  ipt: Map<string, string>; // "ip nat 2" -> iptables form of that rule
  forwarding?: string; // the node's net.ipv4.ip_forward (or IPv6 forwarding), as read after the probe
  chains?: Map<string, ChainRules>; // "ip nat POSTROUTING" -> its iptables rules: to say which were tried and why they did not match
}

type Move = 'in' | 'sent' | 'forward' | 'input' | 'post';

// "172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=64", "10.0.2.2:40512 -> 10.0.2.15:8080 TCP SYN ttl=64".
export function formatTracePacket(p: TracePacket): string {
  const ep = (a?: string, port?: number): string => `${a ?? '?'}${port === undefined ? '' : `:${port}`}`;
  const proto = (p.proto ?? 'IP').toUpperCase();
  const detail = p.icmpType ?? p.tcpFlags?.toUpperCase();
  return [
    `${ep(p.src, p.sport)} -> ${ep(p.dst, p.dport)}`,
    proto,
    ...(detail ? [detail] : []),
    ...(p.ttl === undefined ? [] : [`ttl=${p.ttl}`]),
  ].join(' ');
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
  if (before.src !== after.src || before.sport !== after.sport)
    parts.push(`source ${ep(before.src, before.sport)} -> ${ep(after.src, after.sport)}`);
  if (before.dst !== after.dst || before.dport !== after.dport)
    parts.push(`destination ${ep(before.dst, before.dport)} -> ${ep(after.dst, after.dport)}`);
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
  const tried = new Tried(ctx.chains);
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
      if (!ours) tried.enter(e);
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
    lines.push(...tried.before(e, chainPacket));
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
  if (e.kind === 'return')
    return {
      ...base,
      kind: 'return',
      verdict,
      text: `${label} end of chain -> ${verdict === 'continue' ? 'back to the calling chain' : verdict}`,
    };
  const asIpt = e.handle === undefined ? undefined : ipt.get(`${e.family} ${e.table} ${e.handle}`);
  const rule = asIpt ?? (e.kind === 'unknown-rule' ? `handle ${e.handle} (unknown to nft's cache)` : (e.rule ?? '?'));
  const action = ruleAction(asIpt, e.rule, verdict);
  return {
    ...base,
    kind: 'rule',
    rule,
    ruleSyntax: asIpt ? 'iptables' : 'nft',
    verdict: action,
    text: `${label}  rule ${rule}  -> ${action}`,
  };
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

// Walks each chain's iptables rules alongside the trace: the rules between two reported hops were tried and
// did not match; a chain jumped to and left without a word of its own matched none of its rules after the last.
class Tried {
  private cursor = new Map<string, number>(); // chain -> index of the next rule not yet accounted for
  private jumped = new Map<string, string>(); // caller chain -> the chain it jumped to
  private packets = new Map<string, TracePacket>(); // chain -> the packet as it entered

  constructor(private chains: Map<string, ChainRules> | undefined) {}

  // A base chain starts over when the packet enters it.
  enter(e: TraceEvent): void {
    const k = `${e.family} ${e.table} ${e.chain}`;
    this.cursor.set(k, 0);
    if (e.packet) this.packets.set(k, e.packet);
  }

  // The lines for the rules passed over before this rule, policy or chain end.
  before(e: TraceEvent, p: TracePacket | undefined): string[] {
    if (!this.chains) return [];
    const k = `${e.family} ${e.table} ${e.chain}`;
    const out: string[] = [];
    const callee = this.jumped.get(k);
    if (callee) {
      this.jumped.delete(k);
      out.push(...this.upTo(callee, undefined, this.packets.get(callee) ?? p));
    }
    const c = this.chains.get(k);
    if (!c) return out;
    const at =
      e.kind === 'rule' && e.handle !== undefined
        ? c.handles.indexOf(e.handle)
        : e.kind === 'rule'
          ? -1
          : c.rules.length;
    if (at < 0) return out;
    out.push(...this.upTo(k, at, this.packets.get(k) ?? p));
    const j = /^(?:jump|goto) (\S+)/.exec(e.verdict ?? '')?.[1];
    if (j) {
      const callee2 = `${e.family} ${e.table} ${j}`;
      this.cursor.set(callee2, 0);
      if (p) this.packets.set(callee2, p);
      this.jumped.set(k, callee2);
    }
    if (e.verdict === 'return') this.cursor.delete(k); // a RETURN rule: the rest of the chain was never tried
    return out;
  }

  // Rules of chain k from its cursor up to (not including) index at, or to its end; the cursor moves past at.
  private upTo(k: string, at: number | undefined, p: TracePacket | undefined): string[] {
    const c = this.chains?.get(k);
    const from = this.cursor.get(k);
    if (!c || from === undefined || !p) return [];
    const end = at ?? c.rules.length;
    this.cursor.set(k, end + 1);
    const [family = '', table = '', chain = ''] = k.split(' ');
    const label = chainLabel({ family, table, chain });
    return c.rules.slice(from, Math.max(from, end)).map((r) => `${label}  rule ${r}  -> ${whyNotMatched(r, p)}`);
  }
}
