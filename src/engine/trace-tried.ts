// The rules a packet met and did not match, and why, for the matches simple enough to decide from the
// packet's dump: addresses, interfaces, protocol and ports. Anything else is said to be not evaluated.
import type { NftChainRules } from './trace-parse.js';
import { parseIptablesSave } from './trace-parse.js';
import type { TracePacket } from './trace-types.js';

// A chain's iptables rules and nft handles, in the kernel's order.
export interface ChainRules {
  rules: string[];
  handles: number[];
}

// "ip filter FORWARD" -> its rules and handles; a chain whose counts differ is left out, as in iptablesByHandle.
export function iptablesChains(
  ruleset: NftChainRules[],
  saves: { ip?: string; ip6?: string },
): Map<string, ChainRules> {
  const out = new Map<string, ChainRules>();
  const parsed = { ip: parseIptablesSave(saves.ip ?? ''), ip6: parseIptablesSave(saves.ip6 ?? '') };
  for (const c of ruleset) {
    if (c.family !== 'ip' && c.family !== 'ip6') continue;
    const rules = parsed[c.family].get(c.table)?.get(c.chain) ?? [];
    if (rules.length !== c.handles.length) continue;
    out.set(`${c.family} ${c.table} ${c.chain}`, { rules, handles: c.handles });
  }
  return out;
}

// Words of a rule as the shell would split them: quoted comments stay one word.
function words(rule: string): string[] {
  return [...rule.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[2] ?? m[1] ?? '');
}

// An address as a number and its width in bits, or undefined when it is not one.
function addrBits(a: string): { v: bigint; bits: number } | undefined {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(a)) {
    const parts = a.split('.').map(Number);
    if (parts.some((p) => p > 255)) return undefined;
    return { v: parts.reduce((n, p) => (n << 8n) | BigInt(p), 0n), bits: 32 };
  }
  if (!a.includes(':') || !/^[0-9a-f:]+$/i.test(a)) return undefined;
  const [head = '', tail, extra] = a.split('::');
  if (extra !== undefined) return undefined;
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? 0 : 8 - h.length - t.length;
  const groups = [...h, ...Array<string>(Math.max(fill, 0)).fill('0'), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-f]{1,4}$/i.test(g))) return undefined;
  return { v: groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g, 16)), 0n), bits: 128 };
}

// Whether an address lies in "net/len" (or equals a bare address); undefined when either cannot be read.
export function inCidr(addr: string, cidr: string): boolean | undefined {
  const [net = '', len] = cidr.split('/');
  const a = addrBits(addr);
  const n = addrBits(net);
  if (!a || !n || a.bits !== n.bits) return undefined;
  const l = len === undefined ? n.bits : Number(len);
  if (!Number.isInteger(l) || l < 0 || l > n.bits) return undefined;
  const shift = BigInt(n.bits - l);
  return a.v >> shift === n.v >> shift;
}

// iptables' interface match: "br+" is any name starting with "br".
function ifaceMatches(name: string, pattern: string): boolean {
  return pattern.endsWith('+') ? name.startsWith(pattern.slice(0, -1)) : name === pattern;
}

const PROTO_ALIASES: Record<string, string> = {
  'ipv6-icmp': 'icmpv6',
  icmp6: 'icmpv6',
  '1': 'icmp',
  '6': 'tcp',
  '17': 'udp',
  '58': 'icmpv6',
};

type Verdict = { ok: true } | { ok: false; why: string } | { ok: undefined };

// One simple match against the packet: whether it holds, and if not, why in words.
function simple(opt: string, value: string, neg: boolean, p: TracePacket): Verdict {
  const unknown: Verdict = { ok: undefined };
  const judge = (holds: boolean | undefined, yes: string, no: string): Verdict => {
    if (holds === undefined) return unknown;
    const ok = neg ? !holds : holds;
    return ok ? { ok: true } : { ok: false, why: holds ? yes : no };
  };
  switch (opt) {
    case '-s':
    case '--source':
    case '-d':
    case '--destination': {
      const src = opt === '-s' || opt === '--source';
      const a = src ? p.src : p.dst;
      if (!a) return unknown;
      const what = src ? 'source' : 'destination';
      return judge(
        inCidr(a, value),
        `${what} ${a} is in ${value} (the rule says ! ${opt} ${value})`,
        `${what} ${a} is not in ${value}`,
      );
    }
    case '-i':
    case '--in-interface':
    case '-o':
    case '--out-interface': {
      const inIf = opt === '-i' || opt === '--in-interface';
      const name = inIf ? p.iif : p.oif;
      const what = inIf ? 'in interface' : 'out interface';
      if (!name) return { ok: false, why: `the packet has no ${what} here` };
      return judge(
        ifaceMatches(name, value),
        `${what} is ${name} (the rule says ! ${opt} ${value})`,
        `${what} is ${name}, not ${value}`,
      );
    }
    case '-p':
    case '--protocol': {
      const want = PROTO_ALIASES[value.toLowerCase()] ?? value.toLowerCase();
      if (want === 'all' || want === '0') return judge(true, 'every protocol matches', '');
      const have = p.proto ? (PROTO_ALIASES[p.proto] ?? p.proto) : undefined;
      if (!have || /^\d+$/.test(want)) return unknown;
      return judge(
        have === want,
        `protocol is ${have} (the rule says ! -p ${value})`,
        `protocol is ${have}, not ${value}`,
      );
    }
    case '--dport':
    case '--destination-port':
    case '--sport':
    case '--source-port': {
      const dst = opt === '--dport' || opt === '--destination-port';
      const port = dst ? p.dport : p.sport;
      const what = dst ? 'destination port' : 'source port';
      if (port === undefined) return unknown;
      const m = /^(\d*):?(\d*)$/.exec(value);
      if (!m) return unknown;
      const lo = m[1] ? Number(m[1]) : 0;
      const hi = value.includes(':') ? (m[2] ? Number(m[2]) : 65535) : lo;
      return judge(
        port >= lo && port <= hi,
        `${what} is ${port} (the rule says ! ${opt} ${value})`,
        `${what} is ${port}, not ${value}`,
      );
    }
  }
  return unknown;
}

const SIMPLE = new Set([
  '-s',
  '--source',
  '-d',
  '--destination',
  '-i',
  '--in-interface',
  '-o',
  '--out-interface',
  '-p',
  '--protocol',
  '--dport',
  '--destination-port',
  '--sport',
  '--source-port',
]);

// Why a rule the trace passed over did not match the packet: the first simple match that fails, else the
// matches this does not evaluate, else that nothing here explains it.
export function whyNotMatched(rule: string, p: TracePacket): string {
  const w = words(rule);
  const unknown: string[] = [];
  for (let i = 0; i < w.length; i++) {
    let neg = false;
    let opt = w[i] ?? '';
    if (opt === '!') {
      neg = true;
      opt = w[++i] ?? '';
    }
    if (opt === '-j' || opt === '-g' || opt === '--jump' || opt === '--goto') break; // the target and its options
    if (opt === '-m' && /^(tcp|udp|comment)$/.test(w[i + 1] ?? '')) {
      i++;
      continue;
    }
    if (opt === '--comment') {
      i++;
      continue;
    }
    if (SIMPLE.has(opt)) {
      const value = w[++i] ?? '';
      const v = simple(opt, value, neg, p);
      if (v.ok === false) return `not matched: ${v.why}`;
      if (v.ok === undefined) unknown.push(`${neg ? '! ' : ''}${opt} ${value}`);
      continue;
    }
    // Any other match: itself and its values up to the next option.
    const parts = [...(neg ? ['!'] : []), opt];
    while (i + 1 < w.length && !/^(-|!$)/.test(w[i + 1] ?? '')) parts.push(w[++i] ?? '');
    unknown.push(parts.join(' '));
  }
  return unknown.length
    ? `not matched (${unknown.join(' ')}: not evaluated here)`
    : 'not matched (its matches seem to hold for this dump; not explained here)';
}
