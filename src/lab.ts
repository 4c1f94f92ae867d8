// The public API of a lab module; a lab imports this file and nothing else.
import { containerStartLine, type Check, type Expectation, type Look, type PacketMatcher, type Probe } from './engine/authoring.js';
import type { LabCommand, LabDef, StepDef } from './engine/lab-types.js';

export { arp, HOST, http, icmp, icmp6, ip, tcp, udp, WAN } from './engine/authoring.js';
export type { LabCommand, LabDef, StepDef };

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
  return { node, cmd, ...(opts.expectFail ? { expectFail: true } : {}), ...(opts.readOnly ? { readOnly: true } : {}), ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}) };
}

// Starts a service with a command, then waits (bounded) until `waitFor` succeeds in the same node.
export function service(node: string, cmd: string, waitFor: string): LabCommand {
  return { node, cmd, waitFor };
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
}

const outcome = (o: ProbeOptions): { expectFail?: true } => (o.expectFail ? { expectFail: true } : {});

// ICMP echo probe; fast (20 ms apart) and bounded. It succeeds when a reply comes back.
export function ping(from: string, to: string, opts: ProbeOptions & { count?: number } = {}): Probe {
  return { kind: 'ping', from, to, count: opts.count ?? 3, ...(to.includes(':') ? { ipv6: true } : {}), ...outcome(opts) };
}

// TCP connect probe.
export function tcpConnect(from: string, to: string, port: number, opts: ProbeOptions = {}): Probe {
  return { kind: 'tcp', from, to, port, ...outcome(opts) };
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

  constructor(points: string[], probes: Probe[]) {
    this.points = points;
    this.probes = probes;
  }

  // At least `min` (default 1) matching packets must be seen at the point.
  expect(point: string, matcher: PacketMatcher, opts: { min?: number; max?: number; why?: string } = {}): this {
    const count = opts.min !== undefined || opts.max !== undefined ? { ...(opts.min !== undefined ? { min: opts.min } : {}), ...(opts.max !== undefined ? { max: opts.max } : {}) } : undefined;
    this.expectations.push({ kind: 'expect', point, matcher, ...(count ? { count } : {}), ...(opts.why ? { why: opts.why } : {}) });
    return this;
  }

  // No matching packet may be seen at the point during the whole window.
  expectNone(point: string, matcher: PacketMatcher, opts: { why?: string } = {}): this {
    this.expectations.push({ kind: 'expect-none', point, matcher, ...(opts.why ? { why: opts.why } : {}) });
    return this;
  }

  // Runs a command in a node after the probes; its output must match (and not match) the patterns.
  look(node: string, cmd: string, opts: { match?: RegExp; noMatch?: RegExp; why?: string }): this {
    const pattern = (r: RegExp) => ({ source: r.source, flags: r.flags });
    this.looks.push({ node, cmd, ...(opts.match ? { match: pattern(opts.match) } : {}), ...(opts.noMatch ? { noMatch: pattern(opts.noMatch) } : {}), ...(opts.why ? { why: opts.why } : {}) });
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
