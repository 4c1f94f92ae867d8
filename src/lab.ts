// The public API of a lab module; a lab imports this file and nothing else.
import {
  asMatcher,
  containerStartLine,
  type Check,
  type Expectation,
  type FlowField,
  type Hint,
  type Look,
  type MatcherLike,
  type Probe,
  type StateView,
} from './engine/authoring.js';
import type { LabCommand, LabDef, LinkSpec, Mistake, Prediction, StepDef } from './engine/lab-types.js';

import { ip } from './engine/authoring.js';

export { arp, HOST, http, icmp, icmp6, ip, nptExplain, nptMap, tcp, udp, WAN } from './engine/authoring.js';
export type { Matcher, MatcherFactory, MatcherLike } from './engine/authoring.js';
export type { Hint, LabCommand, LabDef, LinkSpec, Mistake, Prediction, StepDef };

// Hints for one way a check fails: the engine says the one that fits what was seen.
export const hint = {
  // Whenever the expectation (or look) fails; for expectNone: the packet was seen.
  failed: (text: string): Hint => ({ when: 'failed', text }),
  // Nothing like the expected packet was seen at the point.
  notSeen: (text: string): Hint => ({ when: 'not-seen', text }),
  // A near miss differs in `field`, seen with `seen` when given: hint.near('src', '172.17.0.100', '...').
  near: (field: string, seen: string | undefined, text: string): Hint => ({
    when: 'near',
    field,
    ...(seen !== undefined ? { seen } : {}),
    text,
  }),
  // A look's hint for what it read: said when the failed look's output matches `read` (per line), before
  // any hint.failed: hint.read(/ip_forward = 0/, 'the host does not forward: sysctl -w net.ipv4.ip_forward=1').
  read: (read: RegExp, text: string): Hint => ({
    when: 'read',
    read: { source: read.source, flags: read.flags },
    text,
  }),
};

// Types a lab definition for its author; the loader validates it again at run time.
export function defineLab(def: LabDef): LabDef {
  return def;
}

export interface CommandOptions {
  expectFail?: boolean; // the lesson expects it to fail
  readOnly?: boolean; // it only shows state; `lab verify` does not expect a check to miss it
  timeoutMs?: number; // its bound, 1 s to 300 s (default 30 s)
}

// A command in any node: on('mycontainer', 'ip link set lo up').
export function on(node: string, cmd: string, opts: CommandOptions = {}): LabCommand {
  return {
    node,
    cmd,
    ...(opts.expectFail ? { expectFail: true } : {}),
    ...(opts.readOnly ? { readOnly: true } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  };
}

// Starts a service that keeps running (no `&` needed), waits (bounded, 10 s) until `waitFor` succeeds in
// the same node, and stops it at teardown. A command that daemonizes itself (an init script) works too.
export function service(node: string, cmd: string, waitFor: string, opts: CommandOptions = {}): LabCommand {
  return { node, cmd, waitFor, detached: true, ...(opts.expectFail ? { expectFail: true } : {}) };
}

// Stops a container: its PID 1 dies, and all its processes with it; its network namespace stays.
export function stopContainer(name: string): LabCommand {
  return { node: 'host', cmd: `stop container ${name}`, stop: name };
}

// Stops a container and starts it again; with `address`, its interface (default eth0) gets that CIDR
// instead of the old one (and a default route via `gateway`), as a container manager's restart may do.
// `waitFor`: a command on the host that succeeds once whatever follows container events has caught up.
export function restartContainer(
  name: string,
  opts: { address?: string; iface?: string; gateway?: string; waitFor?: string } = {},
): LabCommand {
  const { waitFor, ...how } = opts;
  const what = how.address ? ` with address ${how.address}` : '';
  return {
    node: 'host',
    cmd: `restart container ${name}${what}`,
    restart: { container: name, ...how },
    ...(waitFor ? { waitFor } : {}),
  };
}

// A veth pair between two nodes, written as containerlab does: link('host:ts0 <-> peer:ts0', { 'host:ts0': ['100.64.0.1/24'] }).
export function link(ends: string, addresses: Record<string, string | string[]> = {}): LinkSpec {
  const [a = '', b = ''] = ends.split('<->').map((x) => x.trim());
  return {
    endpoints: [a, b],
    addresses: Object.fromEntries(Object.entries(addresses).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])),
  };
}

// The runbook's unshare line that starts a container declared with start: 'step'.
export function startContainer(name: string): LabCommand {
  return { node: 'host', cmd: containerStartLine(name), start: name };
}

// A command on the host, the machine of the runbook.
export function host(cmd: string, opts: CommandOptions = {}): LabCommand {
  return on('host', cmd, opts);
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

// A check under construction: capture points, probes, then what must and must not be seen.
export class Observation implements Check {
  readonly points: string[];
  readonly probes: Probe[];
  readonly expectations: Expectation[] = [];
  readonly looks: Look[] = [];
  readonly views: StateView[] = [];
  keepNeighbours?: boolean;

  constructor(points: string[], probes: Probe[]) {
    this.points = points;
    this.probes = probes;
  }

  // At least `min` (default 1) matching packets must be seen at the point.
  expect(
    point: string,
    like: MatcherLike,
    opts: { min?: number; max?: number; why?: string; hints?: Hint[] } = {},
  ): this {
    const matcher = asMatcher(like);
    const count =
      opts.min !== undefined || opts.max !== undefined
        ? { ...(opts.min !== undefined ? { min: opts.min } : {}), ...(opts.max !== undefined ? { max: opts.max } : {}) }
        : undefined;
    this.expectations.push({
      kind: 'expect',
      point,
      matcher,
      ...(count ? { count } : {}),
      ...(opts.why ? { why: opts.why } : {}),
      ...(opts.hints ? { hints: opts.hints } : {}),
    });
    return this;
  }

  // No matching packet may be seen at the point during the whole window, bare or inside a tunnel (VXLAN,
  // Geneve): a tunnel does not hide what must not cross. { outerOnly: true }: only the outer packets count.
  expectNone(point: string, like: MatcherLike, opts: { why?: string; hints?: Hint[]; outerOnly?: boolean } = {}): this {
    const matcher = asMatcher(like);
    this.expectations.push({
      kind: 'expect-none',
      point,
      matcher,
      ...(opts.outerOnly ? { outerOnly: true } : {}),
      ...(opts.why ? { why: opts.why } : {}),
      ...(opts.hints ? { hints: opts.hints } : {}),
    });
    return this;
  }

  // Where a flow stops: seen at `seenAt`, never at `neverAt` (two expectations, one reason); `hints`
  // go with the half they name: seenHints when it is not seen, neverHints when it goes on.
  stopsAt(
    matcher: MatcherLike,
    where: { seenAt: string; neverAt: string; why?: string; seenHints?: Hint[]; neverHints?: Hint[] },
  ): this {
    const why = where.why ?? `the flow stops between ${where.seenAt} and ${where.neverAt}`;
    this.expect(where.seenAt, matcher, { why, ...(where.seenHints ? { hints: where.seenHints } : {}) });
    return this.expectNone(where.neverAt, matcher, { why, ...(where.neverHints ? { hints: where.neverHints } : {}) });
  }

  // One conversation seen at two points, with exactly the `rewritten` fields changed between them (NAT):
  // the flow is the one whose packets at `a` match `matcher` (default: any IP packet).
  sameFlow(
    a: string,
    b: string,
    opts: { rewritten?: FlowField[]; matcher?: MatcherLike; why?: string; hints?: Hint[] } = {},
  ): this {
    this.expectations.push({
      kind: 'same-flow',
      point: a,
      other: b,
      matcher: asMatcher(opts.matcher ?? ip()),
      rewritten: opts.rewritten ?? [],
      ...(opts.why ? { why: opts.why } : {}),
      ...(opts.hints ? { hints: opts.hints } : {}),
    });
    return this;
  }

  // Keeps the nodes' neighbour caches as the commands left them (by default the engine makes the nodes
  // that ask forget them before the window, so ARP and ND are seen): for a step about the cache itself.
  keepingNeighbours(): this {
    this.keepNeighbours = true;
    return this;
  }

  // Shows state after the check, not judged: .show('host', 'conntrack -L -p icmp', { why: 'the flow the
  // probe made' }); `lines` keeps only the lines that match (a rule and its counters, a header).
  show(node: string, cmd: string, opts: { why?: string; lines?: RegExp } = {}): this {
    this.views.push({
      node,
      cmd,
      ...(opts.why ? { why: opts.why } : {}),
      ...(opts.lines ? { lines: { source: opts.lines.source, flags: opts.lines.flags } } : {}),
    });
    return this;
  }

  // Runs a command in a node after the probes; its output must match (and not match) the patterns. With
  // { inWindow: true } it runs before the capture window closes, so its own packets are judged too.
  look(
    node: string,
    cmd: string,
    opts: { match?: RegExp; noMatch?: RegExp; why?: string; hints?: Hint[]; inWindow?: boolean },
  ): this {
    const pattern = (r: RegExp) => ({ source: r.source, flags: r.flags });
    this.looks.push({
      node,
      cmd,
      ...(opts.match ? { match: pattern(opts.match) } : {}),
      ...(opts.noMatch ? { noMatch: pattern(opts.noMatch) } : {}),
      ...(opts.why ? { why: opts.why } : {}),
      ...(opts.hints ? { hints: opts.hints } : {}),
      ...(opts.inWindow ? { inWindow: true } : {}),
    });
    return this;
  }
}

// Starts a check that only looks at state (no capture): inspect().look(...).
export function inspect(): Observation {
  return new Observation([], []);
}

// Starts a check: capture at these points while these probes run.
export function observe(points: string[], ...probes: Probe[]): Observation {
  return new Observation(points, probes);
}
