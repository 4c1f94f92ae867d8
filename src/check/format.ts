// tshark-like lines for flows, matchers and verdicts; plain text, colours are the reporter's business.
import { formatEndpoint } from '../capture/endpoint.js';
import type { Endpoint, Flow, FlowSide } from '../capture/types.js';
import { safeText } from '../model/matchers.js';
import { regex } from './evaluate.js';
import type { CheckResult, LookResult, PointObservation, ViewResult } from './types.js';
import type { Expectation, PacketMatcher } from '../model/check.js';
import { isChatter, isShown } from '../model/packet-noise.js';

const PROTO: Record<string, string> = {
  icmp: 'ICMP',
  icmp6: 'ICMPv6',
  tcp: 'TCP',
  udp: 'UDP',
  arp: 'ARP',
  ip: 'IP',
  other: '',
};

const endpoint = formatEndpoint;

// One direction: "echo-request ttl=63 x3", or "SYN + ACK x2 + HTTP GET / ttl=64" for several kinds;
// IPv6 calls its hop count what the header does: hlim.
function side(s: FlowSide, v6 = false): string {
  const ttl = s.ttls.length ? ` ${v6 ? 'hlim' : 'ttl'}=${s.ttls.join('/')}` : '';
  if (s.kinds.length === 1) {
    const k = s.kinds[0] ?? '';
    return `${k}${ttl} x${s.kindCounts[k] ?? s.packets}`;
  }
  return `${s.kinds.map((k) => ((s.kindCounts[k] ?? 1) > 1 ? `${k} x${s.kindCounts[k]}` : k)).join(' + ')}${ttl}`;
}

// One line per flow: "172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=63 x3, no reply".
export function formatFlow(f: Flow): string {
  const v6 = f.proto === 'icmp6' || f.a.addr.includes(':');
  const back = f.rev.packets ? side(f.rev, v6) : 'no reply';
  if (f.proto === 'arp')
    return `ARP who-has ${f.b.addr} tell ${f.a.addr}${f.fwd.packets > 1 ? ` x${f.fwd.packets}` : ''}, ${f.rev.packets ? `is-at${f.rev.packets > 1 ? ` x${f.rev.packets}` : ''}` : 'no reply'}`;
  const proto = f.tunnel
    ? `${PROTO[f.proto] ?? ''} ${f.tunnel.kind === 'vxlan' ? 'VXLAN' : 'Geneve'} vni=${f.tunnel.vni} carrying`
    : (PROTO[f.proto] ?? f.proto.toUpperCase());
  return `${endpoint(f.a)} -> ${endpoint(f.b)} ${proto} ${side(f.fwd, v6)}, ${back}`;
}

// A flow as the packet-noise policy reads it: its protocol, every kind it saw, where it went.
function flowFacts(f: Flow): { proto: string; kinds: string[]; to: string } {
  return { proto: f.proto, kinds: [...f.fwd.kinds, ...f.rev.kinds], to: f.b.addr };
}

// True for link-local chatter (ND, MLD, IGMP, link-local multicast), folded unless a matcher names it.
export function isNoise(f: Flow): boolean {
  return isChatter(flowFacts(f));
}

// The matchers of a check's expectations at one point: what decides whether chatter there is shown.
export function matchersAt(r: CheckResult, point: string): PacketMatcher[] {
  return r.expectations.filter((x) => x.expectation.point === point).map((x) => x.expectation.matcher);
}

// The flows a view lists at a point: chatter folded out unless the check's matchers there name it.
export function shownFlowsAt(p: PointObservation, r: CheckResult): Flow[] {
  const ms = matchersAt(r, p.point);
  return p.flows.filter((f) => isShown(flowFacts(f), ms));
}

// "ICMP echo-request src=10.0.2.15 ttl=63": the label plus the fields it does not already say; a tunnel
// matcher goes on with its header and what it carries: "UDP dport=4789 VXLAN vni=42 carrying ARP request".
export function formatMatcher(m: PacketMatcher): string {
  const said = (k: 'tcpFlags' | 'tcpFlagsInclude' | 'payload'): string[] =>
    m.label.includes(m.fields[k] ?? '\0') ? [k] : [];
  const implied = new Set([
    'icmpType',
    'arpOp',
    'httpMethod',
    'httpStatus',
    ...said('tcpFlags'),
    ...said('tcpFlagsInclude'),
    ...said('payload'),
    ...(m.label.includes('fragmentation-needed') ? ['icmpCode'] : []),
  ]);
  const extra = Object.entries(m.fields)
    .filter(([k, v]) => v !== undefined && !implied.has(k))
    .map(([k, v]) => `${k}=${k === 'payload' ? safeText(String(v)) : String(v)}`);
  const tunnel = m.tunnel
    ? [`${m.tunnel.kind === 'vxlan' ? 'VXLAN' : 'Geneve'}${m.tunnel.vni !== undefined ? ` vni=${m.tunnel.vni}` : ''}`]
    : [];
  const carried = m.carries ? [`carrying ${formatMatcher(m.carries)}`] : [];
  return [m.label, ...extra, ...tunnel, ...carried].join(' ');
}

// "expect ICMP echo-request ... at host:eth0 (>=3)".
export function formatExpectation(e: Expectation): string {
  const c = e.count;
  const count =
    c && (c.min !== undefined || c.max !== undefined)
      ? ` (${[c.min !== undefined ? `>=${c.min}` : '', c.max !== undefined ? `<=${c.max}` : ''].filter(Boolean).join(' ')})`
      : '';
  if (e.kind === 'expect-none' && e.outerOnly)
    return `expect none ${formatMatcher(e.matcher)} at ${e.point} (outer packets only)`;
  if (e.kind === 'same-flow')
    return `expect the same ${formatMatcher(e.matcher)} flow at ${e.point} and ${e.other ?? '?'}, ${e.rewritten?.length ? `${e.rewritten.join(', ')} rewritten` : 'unchanged'}`;
  return `${e.kind === 'expect' ? 'expect' : 'expect none'} ${formatMatcher(e.matcher)} at ${e.point}${count}`;
}

// Flows worth listing at a point: all when verbose, else without the chatter the check does not name.
function shownFlows(p: PointObservation, r: CheckResult, verbose: boolean): Flow[] {
  return verbose ? p.flows : shownFlowsAt(p, r);
}

const echoId = (f: Flow): string | undefined => / id=(\S+)/.exec(f.key)?.[1];
const same = (x: Endpoint, y: Endpoint): boolean => x.addr === y.addr && x.port === y.port;

export interface Rewrite {
  what: 'source' | 'destination';
  from: { point: string; flow: Flow };
  to: { point: string; flow: Flow };
}

// The same conversation seen at two points with one endpoint rewritten (DNAT, MASQUERADE).
export function findRewrites(points: PointObservation[]): Rewrite[] {
  const out: Rewrite[] = [];
  for (const [i, p] of points.entries()) {
    for (const q of points.slice(i + 1)) {
      for (const f of p.flows.filter((x) => !isNoise(x) && x.proto !== 'arp')) {
        for (const g of q.flows.filter((x) => x.proto === f.proto && echoId(x) === echoId(f))) {
          const what =
            same(f.a, g.a) && !same(f.b, g.b)
              ? 'destination'
              : same(f.b, g.b) && f.a.addr !== g.a.addr && f.a.port === g.a.port
                ? 'source'
                : undefined;
          if (what) out.push({ what, from: { point: p.point, flow: f }, to: { point: q.point, flow: g } });
        }
      }
    }
  }
  return out;
}

// Those rewrites side by side, as report lines.
export function formatRewrites(points: PointObservation[]): string[] {
  return findRewrites(points).flatMap(({ what, from, to }) => {
    const w = Math.max(from.point.length, to.point.length);
    return [
      `     ${what} rewritten between ${from.point} and ${to.point}:`,
      `       ${from.point.padEnd(w)}  ${formatFlow(from.flow)}`,
      `       ${to.point.padEnd(w)}  ${formatFlow(to.flow)}`,
    ];
  });
}

// The report of one check: verdicts per capture point, near misses with the differing fields, flows seen.
export function formatCheckReport(r: CheckResult, opts: { verbose?: boolean } = {}): string[] {
  const lines: string[] = [];
  for (const pr of r.probes.filter((x) => !x.ok)) {
    const want = pr.probe.expectFail
      ? 'the lab says it fails, but it succeeded'
      : `exited ${pr.exitCode}, and the lab says it succeeds`;
    lines.push(`FAIL probe [${pr.node}] ${pr.command}: ${want}`);
    for (const o of pr.output.split('\n').filter(Boolean).slice(0, 6)) lines.push(`       | ${o}`);
  }
  for (const l of r.looks) {
    lines.push(`${l.pass ? 'PASS' : 'FAIL'} ${l.message}${l.look.why ? `   (${l.look.why})` : ''}`);
    for (const o of l.pass && !opts.verbose ? lookRead(l) : l.output.split('\n').filter(Boolean).slice(0, 12))
      lines.push(`       | ${o}`);
  }
  for (const p of r.points) {
    const results = r.expectations.filter((x) => x.expectation.point === p.point);
    for (const x of results) {
      lines.push(`${x.pass ? 'PASS' : 'FAIL'} ${x.message}${x.expectation.why ? `   (${x.expectation.why})` : ''}`);
      for (const n of x.pass ? [] : x.nearMisses) {
        lines.push(`       ${x.expectation.kind === 'expect' ? 'nearest' : 'seen'}: ${n.flow}`);
        for (const d of n.diffs) lines.push(`         ${d.field}: expected ${d.expected}, seen ${d.seen}`);
      }
    }
    const failed = results.some((x) => !x.pass);
    if (p.error) lines.push(`     ${p.point}: ${p.error}`);
    else if (!p.ready) lines.push(`     ${p.point}: capture was not ready`);
    if (p.drops > 0) lines.push(`     ${p.point}: libpcap dropped ${p.drops} packet${p.drops === 1 ? '' : 's'}`);
    if (p.drops < 0 && !p.error) lines.push(`     ${p.point}: libpcap could not report its drop count`);
    if ((failed || opts.verbose) && !p.error) {
      const flows = shownFlows(p, r, Boolean(opts.verbose));
      const hidden = p.flows.length - flows.length;
      lines.push(
        `     flows at ${p.point} (${p.packets} packet${p.packets === 1 ? '' : 's'} in ${Math.round(p.windowMs)} ms${hidden ? `, ${hidden} ND/MLD/IGMP flow${hidden === 1 ? '' : 's'} hidden` : ''}):${flows.length ? '' : ' none'}`,
      );
      for (const f of flows) lines.push(`       ${formatFlow(f)}`);
    }
  }
  return [...lines, ...formatRewrites(r.points), ...formatViews(r.views ?? [])];
}

const READ_MAX = 6;

// What a passing look read: the lines its pattern matched (the first lines when it only forbids one).
export function lookRead(l: LookResult): string[] {
  const all = l.output.split('\n').filter((x) => x.trim());
  const m = l.look.match ? regex(l.look.match) : undefined;
  const read = m ? all.filter((x) => new RegExp(m.source, m.flags.replace('g', '')).test(x)) : all;
  return read.length > READ_MAX ? [...read.slice(0, READ_MAX), `... ${read.length - READ_MAX} more lines`] : read;
}

// The state views of a check, as lines: the command, then the lines it showed.
export function formatViews(views: ViewResult[]): string[] {
  return views.flatMap((v) => [
    `state [${v.view.node}] $ ${v.view.cmd}${v.exitCode === 0 ? '' : `   (exit ${v.exitCode})`}${v.view.why ? `   (${v.view.why})` : ''}`,
    ...(v.lines.length ? v.lines.map((l) => `       | ${l}`) : ['       | (nothing)']),
  ]);
}

const FIELD_NAMES: Record<string, string> = {
  src: 'source',
  dst: 'destination',
  sport: 'source port',
  dport: 'destination port',
  ttl: 'ttl',
};

// The one line that says why a check failed, from its first failed expectation: the field its nearest
// packet got wrong ("source not rewritten: seen 172.17.0.100 where 10.0.2.15 was expected, at host:eth0"
// when that address passes another point unchanged), else what was missing or should not have been there.
export function rootCause(r: CheckResult): string | undefined {
  if (r.pass) return undefined;
  const x = r.expectations.find((e) => !e.pass);
  if (!x) {
    const look = r.looks.find((l) => !l.pass);
    const probe = r.probes.find((p) => !p.ok);
    return look ? look.message : probe ? `probe [${probe.node}] ${probe.command} exited ${probe.exitCode}` : undefined;
  }
  const e = x.expectation;
  const what = formatMatcher(e.matcher);
  if (e.kind === 'expect-none') return `${what} seen at ${e.point}, where none should be`;
  const d = x.nearMisses[0]?.diffs[0];
  if (!d) return `nothing like ${what} at ${e.point}`;
  const name = FIELD_NAMES[d.field] ?? d.field;
  // An address that crosses another point as it is was not translated on the way.
  const unchanged =
    (d.field === 'src' || d.field === 'dst') &&
    r.points.some((p) => p.point !== e.point && p.flows.some((f) => f.a.addr === d.seen || f.b.addr === d.seen));
  return `${name} ${unchanged ? 'not rewritten' : 'differs'}: seen ${d.seen} where ${d.expected} was expected, at ${e.point}`;
}
