// Parsers for the text nft and iptables print: `nft -a monitor` trace lines, `nft -a list ruleset`,
// and `iptables-save`, so that a traced rule can be shown the way a student typed it.
import type { TraceEvent, TracePacket } from './trace-types.js';

const LINE = /^trace id [0-9a-f]+ (\S+) (\S+) (\S+) (.*)$/;
const STRIP_COUNTER = /\s*\bcounter packets \d+ bytes \d+/g;

// One monitor line, or undefined for lines that are not trace events (ruleset events, blank lines).
export function parseTraceLine(line: string): TraceEvent | undefined {
  const m = LINE.exec(line.trimEnd());
  if (!m) return undefined;
  const [, family = '', table = '', chain = '', rest = ''] = m;
  const base = { family, table, chain, line: line.trimEnd() };
  if (rest.startsWith('packet: ')) return { ...base, kind: 'packet', packet: parsePacket(rest.slice(8)) };
  let r = /^unknown rule handle (\d+) \(verdict (.+)\)$/.exec(rest);
  if (r) return { ...base, kind: 'unknown-rule', handle: Number(r[1]), verdict: r[2] ?? '' };
  r = /^rule (.*?)(?: # handle (\d+))? \(verdict (.+)\)$/.exec(rest);
  if (r)
    return {
      ...base,
      kind: 'rule',
      rule: cleanRule(r[1] ?? ''),
      ...(r[2] ? { handle: Number(r[2]) } : {}),
      verdict: r[3] ?? '',
    };
  r = /^policy (\S+)/.exec(rest);
  if (r) return { ...base, kind: 'policy', verdict: r[1] ?? '' };
  r = /^verdict (\S+(?: \S+)?)/.exec(rest);
  if (r) return { ...base, kind: 'return', verdict: (r[1] ?? '').replace(/ meta$/, '') };
  return undefined;
}

// Every trace event of a monitor's output, in order.
export function parseTrace(text: string): TraceEvent[] {
  return text.split('\n').flatMap((l) => parseTraceLine(l) ?? []);
}

// A rule as nft prints it, without the counters that change from packet to packet.
export function cleanRule(text: string): string {
  return text.replace(STRIP_COUNTER, '').replace(/\s+/g, ' ').trim();
}

// The fields of a packet dump that a person reads: interfaces, addresses, protocol, ports, ttl.
export function parsePacket(text: string): TracePacket {
  const word = (re: RegExp): string | undefined => re.exec(text)?.[1];
  const num = (re: RegExp): number | undefined => {
    const v = word(re);
    return v === undefined ? undefined : Number(v);
  };
  const p: TracePacket = {};
  const set = <K extends keyof TracePacket>(k: K, v: TracePacket[K] | undefined): void => {
    if (v !== undefined) p[k] = v;
  };
  set('iif', word(/\biif "([^"]+)"/));
  set('oif', word(/\boif "([^"]+)"/));
  set('src', word(/\bip6? saddr (\S+)/));
  set('dst', word(/\bip6? daddr (\S+)/));
  set('ttl', num(/\b(?:ip ttl|ip6 hoplimit) (\d+)/));
  const l4 =
    /\b(icmpv6|icmp|tcp|udp|sctp) (?:type|sport|dport)\b/.exec(text)?.[1] ??
    word(/\b(?:ip protocol|ip6 nexthdr) (\S+)/);
  set('proto', l4);
  set('sport', num(/\b(?:tcp|udp|sctp) sport (\d+)/));
  set('dport', num(/\b(?:tcp|udp|sctp) dport (\d+)/));
  set('icmpType', word(/\bicmp(?:v6)? type (\S+)/));
  set('tcpFlags', word(/\btcp flags (?:== )?(\S+)/));
  return p;
}

export interface NftChainRules {
  family: string;
  table: string;
  chain: string;
  handles: number[]; // rule handles in the chain's order
}

// Rule handles per chain, from `nft -a list ruleset`.
export function parseNftRuleset(text: string): NftChainRules[] {
  const out: NftChainRules[] = [];
  let table: { family: string; name: string } | undefined;
  let chain: NftChainRules | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    let m = /^table (\S+) (\S+) \{/.exec(line);
    if (m) {
      table = { family: m[1] ?? '', name: m[2] ?? '' };
      chain = undefined;
      continue;
    }
    m = /^chain (\S+) \{/.exec(line);
    if (m && table) {
      chain = { family: table.family, table: table.name, chain: m[1] ?? '', handles: [] };
      out.push(chain);
      continue;
    }
    if (line === '}') {
      chain = undefined;
      continue;
    }
    m = /# handle (\d+)$/.exec(line);
    // A rule ends with its handle; a set, limit or other object opens a block before it ("limit once { # handle 1").
    if (m && chain && !/\{ # handle \d+$/.test(line)) chain.handles.push(Number(m[1]));
  }
  return out;
}

// Rules per table and chain, from `iptables-save` (or ip6tables-save): "-A FORWARD -i br0 -j ACCEPT" -> "-i br0 -j ACCEPT".
export function parseIptablesSave(text: string): Map<string, Map<string, string[]>> {
  const out = new Map<string, Map<string, string[]>>();
  let table: Map<string, string[]> | undefined;
  for (const line of text.split('\n')) {
    const t = /^\*(\S+)/.exec(line);
    if (t) {
      table = new Map();
      out.set(t[1] ?? '', table);
      continue;
    }
    const m = /^-A (\S+) (.*)$/.exec(line);
    if (m && table) {
      const chain = m[1] ?? '';
      table.set(chain, [...(table.get(chain) ?? []), m[2] ?? '']);
    }
  }
  return out;
}

// "ip nat 2" -> "-s 172.17.0.0/24 ! -o br0 -j MASQUERADE": iptables-nft keeps a chain's rules in the kernel's
// order, so the n-th handle is the n-th -A line; a chain whose counts differ is left out (nft's text is shown).
export function iptablesByHandle(ruleset: NftChainRules[], saves: { ip?: string; ip6?: string }): Map<string, string> {
  const out = new Map<string, string>();
  const parsed = { ip: parseIptablesSave(saves.ip ?? ''), ip6: parseIptablesSave(saves.ip6 ?? '') };
  for (const c of ruleset) {
    if (c.family !== 'ip' && c.family !== 'ip6') continue;
    const rules = parsed[c.family].get(c.table)?.get(c.chain) ?? [];
    if (rules.length !== c.handles.length || !rules.length) continue;
    c.handles.forEach((h, i) => out.set(`${c.family} ${c.table} ${h}`, rules[i] ?? ''));
  }
  return out;
}
