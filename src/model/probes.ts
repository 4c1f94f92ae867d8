// Probes: the traffic a check sends, and the one table that says, per kind, what validation, preflight,
// the check, the trace and the walkthrough need to know. A new kind is a member of `Probe`, a row of
// PROBES (the compiler refuses a kind without one) and a builder below; src/lab.ts exports the builder.
import { isIP, isIPv4, isIPv6 } from 'node:net';
import type { Pattern } from './check.js';

// expectFail: the lesson says this probe fails (no reply, refused); otherwise it must succeed.
// src: the source address to send from (any address of the node), IPv4 or IPv6 like the target.
export type Probe = { expectFail?: boolean; src?: string } & (
  | {
      kind: 'ping';
      from: string;
      to: string;
      count: number;
      ipv6?: boolean;
      size?: number;
      df?: boolean;
      pattern?: string;
    }
  | { kind: 'tcp'; from: string; to: string; port: number; read?: Pattern } // read: keep the reply; its bytes must match
  | { kind: 'http'; from: string; url: string }
  | { kind: 'udp'; from: string; to: string; port: number; payload: string }
);

export type ProbeKind = Probe['kind'];

// The command that sends a probe, run in its `from` node; its exit code is recorded, only the packets are judged.
export interface ProbeCommand {
  node: string;
  argv: string[];
  display: string;
  timeoutMs: number;
}

// What the rest of the runner knows about one kind of probe.
export interface ProbeRow<P extends Probe> {
  tool: string; // the program it runs: preflight refuses a machine without it
  tcp: boolean; // it may talk TCP to the sandbox's internet, so wan's web server is started
  problems(p: Record<string, unknown>, field: string): string[]; // its own fields (from, src, expectFail are common)
  command(p: P): Omit<ProbeCommand, 'node'>; // the real tool's line, fast and bounded in time
  traceMatch(p: P): string; // the narrowest nft match for its first packet (the packet's path)
  reply?(p: P): Pattern | undefined; // a reply whose bytes must match, judged like a look
}

const q = (v: unknown): string => JSON.stringify(v) ?? String(v);
const BOUND_MS = 5_000;

// "ip daddr 203.0.113.8" for an address, nothing for a name (the packet is still narrowed by protocol and port).
function daddr(host: string): string[] {
  const h = host.replace(/^\[|\]$/g, '');
  if (isIPv4(h)) return ['ip daddr', h];
  if (isIPv6(h)) return ['ip6 daddr', h];
  return [];
}

// A target address and a port, as tcp and udp probes name them.
function targetProblems(p: Record<string, unknown>, f: string, port: boolean): string[] {
  const out: string[] = [];
  if (!isIP(String(p.to))) out.push(`${f}.to: ${q(p.to)} is not an IPv4 or IPv6 address`);
  if (port && (!Number.isInteger(p.port) || (p.port as number) < 1 || (p.port as number) > 65535))
    out.push(`${f}.port: ${q(p.port)} is not a port (1..65535)`);
  return out;
}

// A ping's count, size, don't-fragment flag and payload pattern, as ping itself accepts them.
function pingProblems(p: Record<string, unknown>, f: string): string[] {
  const out = targetProblems(p, f, false);
  if (!Number.isInteger(p.count) || (p.count as number) < 1 || (p.count as number) > 100)
    out.push(`${f}.count: ${q(p.count)} must be 1..100`);
  if (p.size !== undefined && (!Number.isInteger(p.size) || (p.size as number) < 0 || (p.size as number) > 65507))
    out.push(`${f}.size: ${q(p.size)} must be 0..65507 payload bytes`);
  if (p.df !== undefined && typeof p.df !== 'boolean') out.push(`${f}.df: must be true or false`);
  if (p.pattern !== undefined && (typeof p.pattern !== 'string' || !/^[0-9a-fA-F]{1,32}$/.test(p.pattern)))
    out.push(`${f}.pattern: ${q(p.pattern)} must be 1 to 32 hex digits (up to 16 bytes)`);
  return out;
}

type Rows = { [K in ProbeKind]: ProbeRow<Extract<Probe, { kind: K }>> };

export const PROBES: Rows = {
  ping: {
    tool: 'ping',
    tcp: false,
    problems: pingProblems,
    command(p) {
      // 5 ms apart instead of ping's 1 s. A reply inside a sandbox takes well under a millisecond, so a
      // ping the lab says gets none waits 0.1 s after its last request; one that must be answered waits
      // up to 1 s (it ends as soon as the replies are in).
      // Sizes are ping's own: -s payload bytes, -M do (don't fragment), -p a payload pattern in hex.
      const sized = [
        ...(p.size !== undefined ? ['-s', String(p.size)] : []),
        ...(p.df ? ['-M', 'do'] : []),
        ...(p.pattern !== undefined ? ['-p', p.pattern] : []),
      ];
      const argv = [
        'ping',
        ...(p.ipv6 ? ['-6'] : []),
        '-n',
        '-q',
        '-c',
        String(p.count),
        '-i',
        '0.005',
        '-W',
        p.expectFail ? '0.1' : '1',
        ...sized,
        ...(p.src ? ['-I', p.src] : []),
        p.to,
      ];
      return { argv, display: argv.join(' '), timeoutMs: BOUND_MS };
    },
    traceMatch: (p) =>
      [...daddr(p.to), p.ipv6 || isIPv6(p.to) ? 'icmpv6 type echo-request' : 'icmp type echo-request'].join(' '),
  },
  tcp: {
    tool: 'nc',
    tcp: true,
    problems: (p, f) => targetProblems(p, f, true),
    command(p) {
      // A read (-d: nothing sent) keeps what the server says until it closes, or 2 s of silence.
      const argv = [
        'nc',
        ...(p.read ? ['-d', '-w', '2'] : ['-z', '-w', '1']),
        ...(p.src ? ['-s', p.src] : []),
        p.to,
        String(p.port),
      ];
      return { argv, display: argv.join(' '), timeoutMs: BOUND_MS };
    },
    traceMatch: (p) => [...daddr(p.to), 'tcp dport', String(p.port)].join(' '),
    reply: (p) => (p.expectFail ? undefined : p.read),
  },
  http: {
    tool: 'curl',
    tcp: true,
    problems: (p, f) => (URL.canParse(String(p.url)) ? [] : [`${f}.url: ${q(p.url)} is not a URL`]),
    command(p) {
      const src = p.src ? ['--interface', p.src] : [];
      const argv = ['curl', '-sS', '-m', '2', ...src, '-o', '/dev/null', '-w', '%{http_code}\\n', p.url];
      const display = `curl -sS -m 2 ${src.join(' ')}${src.length ? ' ' : ''}-o /dev/null -w '%{http_code}\\n' ${p.url}`;
      return { argv, display, timeoutMs: BOUND_MS };
    },
    traceMatch(p) {
      const u = new URL(p.url);
      const port = u.port || (u.protocol === 'https:' ? '443' : '80');
      return [...daddr(u.hostname), 'tcp dport', port].join(' ');
    },
  },
  udp: {
    tool: 'nc',
    tcp: false,
    problems: (p, f) => targetProblems(p, f, true),
    command(p) {
      const line = `printf %s '${p.payload.replace(/'/g, '')}' | nc -u -w 1 -q 0 ${p.src ? `-s ${p.src} ` : ''}${p.to} ${p.port}`;
      return { argv: ['sh', '-c', line], display: line, timeoutMs: BOUND_MS };
    },
    traceMatch: (p) => [...daddr(p.to), 'udp dport', String(p.port)].join(' '),
  },
};

// The row of a probe's kind, typed for that probe (the table's rows take only their own kind).
export function probeRow(p: Probe): ProbeRow<Probe> {
  return PROBES[p.kind] as unknown as ProbeRow<Probe>;
}

// True when the kind is one the table knows (a hand-written lab may name any string).
export function isProbeKind(kind: unknown): kind is ProbeKind {
  return typeof kind === 'string' && Object.hasOwn(PROBES, kind);
}

// The command that sends a probe, in its node.
export function probeCommand(p: Probe): ProbeCommand {
  return { node: p.from, ...probeRow(p).command(p) };
}

// The narrowest nft match a probe allows: destination, protocol, port or ICMP type.
export function probeMatch(p: Probe): string {
  return probeRow(p).traceMatch(p);
}

// What a probe is expected to do: succeed (the default), or fail as the lesson says ({ expectFail: true }).
export interface ProbeOptions {
  expectFail?: boolean;
  src?: string; // send from this address of the node (IPv4 or IPv6, like the target)
}

const outcome = (o: ProbeOptions): { expectFail?: true; src?: string } => ({
  ...(o.expectFail ? { expectFail: true } : {}),
  ...(o.src ? { src: o.src } : {}),
});

export interface PingOptions extends ProbeOptions {
  count?: number; // echo requests (ping -c), default 3
  size?: number; // ICMP payload bytes (ping -s): 1472 makes a 1500-byte IPv4 packet, 1452 an IPv6 one
  df?: boolean; // forbid fragmentation (ping -M do): too big for a link means an error, not fragments
  pattern?: string; // hex bytes that fill the payload (ping -p), up to 16 bytes: 'deadbeef'
}

// ICMP echo probe; fast (5 ms apart) and bounded. It succeeds when a reply comes back.
export function ping(from: string, to: string, opts: PingOptions = {}): Probe {
  const sized = {
    ...(opts.size !== undefined ? { size: opts.size } : {}),
    ...(opts.df ? { df: true } : {}),
    ...(opts.pattern !== undefined ? { pattern: opts.pattern } : {}),
  };
  return {
    kind: 'ping',
    from,
    to,
    count: opts.count ?? 3,
    ...(to.includes(':') ? { ipv6: true } : {}),
    ...sized,
    ...outcome(opts),
  };
}

// TCP connect probe.
export function tcpConnect(from: string, to: string, port: number, opts: ProbeOptions = {}): Probe {
  return { kind: 'tcp', from, to, port, ...outcome(opts) };
}

// Connects, reads what the server says (nothing is sent) until it closes or 2 s of silence; the reply's
// bytes must match `reply`: tcpRead('host', '10.171.1.2', 12345, /Hello, world!/).
export function tcpRead(from: string, to: string, port: number, reply: RegExp, opts: ProbeOptions = {}): Probe {
  return { kind: 'tcp', from, to, port, read: { source: reply.source, flags: reply.flags }, ...outcome(opts) };
}

// HTTP GET probe; it succeeds when any HTTP answer comes back (the packets judge its status).
export function httpGet(from: string, url: string, opts: ProbeOptions = {}): Probe {
  return { kind: 'http', from, url, ...outcome(opts) };
}

// One UDP datagram.
export function udpSend(from: string, to: string, port: number, payload = 'lab', opts: ProbeOptions = {}): Probe {
  return { kind: 'udp', from, to, port, payload, ...outcome(opts) };
}
