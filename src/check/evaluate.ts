// Judges expectations against what each capture point saw; a failed check is a result, not an exception.
import { packetEnds } from '../capture/endpoint.js';
import { describePacket } from '../capture/decode.js';
import type { Flow, Packet } from '../capture/types.js';
import { formatFlow, formatMatcher } from './format.js';
import { matchAnyLayer, matchPacket } from './matchers.js';
import type { Check, Expectation, FlowField, Look, Pattern } from '../model/check.js';
import type {
  CheckResult,
  ExpectationResult,
  FieldDiff,
  LookResult,
  NearMiss,
  PointObservation,
  ProbeResult,
} from './types.js';
import { seenPackets } from './seen.js';

export interface ObservationInput {
  packets: Packet[];
  flows: Flow[];
  ready: boolean;
  error?: string;
  drops: number; // -1: unknown
  windowMs?: number;
  pcapPath?: string;
}

const MAX_NEAR = 3;
// A near miss must be the same kind of packet (an echo request is no near miss for a reply).
const KIND_FIELDS = new Set([
  'proto',
  'ipVersion',
  'icmpType',
  'arpOp',
  'httpMethod',
  'httpStatus',
  'tcpFlags',
  'tunnel',
  'inner',
]);
// ... also for the packet a tunnel carries: an inner ARP is no near miss for an inner echo request.
const isKind = (field: string): boolean => KIND_FIELDS.has(field.replace(/^(inner\.)+/, ''));

// The flow a packet belongs to, by its endpoints in either direction.
function flowOf(p: Packet, flows: Flow[]): Flow | undefined {
  const t = p.tunnel;
  if (t && p.ip) {
    const { src, dst } = p.ip;
    return flows.find(
      (f) =>
        f.tunnel?.kind === t.kind &&
        f.tunnel.vni === t.vni &&
        ((f.a.addr === src && f.b.addr === dst) || (f.a.addr === dst && f.b.addr === src)),
    );
  }
  const { src, dst, sport, dport } = packetEnds(p);
  return flows.find(
    (f) =>
      f.proto === p.proto &&
      ((f.a.addr === src && f.b.addr === dst && f.a.port === sport && f.b.port === dport) ||
        (f.a.addr === dst && f.b.addr === src && f.a.port === dport && f.b.port === sport)),
  );
}

// Seen packets closest to the matcher, grouped by flow, with the fields that differed.
function nearMisses(e: Expectation, seen: ObservationInput): NearMiss[] {
  const scored = seen.packets.map((p) => ({ p, diffs: matchPacket(e.matcher, p) }));
  const pool = scored.filter((s) => !s.diffs.some((d) => isKind(d.field)));
  if (!pool.length) return [];
  const best = Math.min(...pool.map((s) => s.diffs.length));
  const out = new Map<string, NearMiss>();
  for (const s of pool) {
    if (s.diffs.length !== best) continue;
    const f = flowOf(s.p, seen.flows);
    const line = f ? formatFlow(f) : `${s.p.ip?.src ?? '?'} -> ${s.p.ip?.dst ?? '?'} ${s.p.proto}`;
    const key = `${line}|${s.diffs.map((d) => `${d.field}=${d.seen}`).join(',')}`;
    if (!out.has(key)) out.set(key, { flow: line, diffs: s.diffs });
    if (out.size >= MAX_NEAR) break;
  }
  return [...out.values()];
}

// Why a negative result cannot be trusted, if it cannot.
function untrusted(seen: ObservationInput): string | undefined {
  if (seen.error) return seen.error;
  if (!seen.ready) return 'the capture was not ready before the probes';
  if (seen.drops < 0) return 'libpcap could not report its drop count';
  if (seen.drops > 0) return `libpcap dropped ${seen.drops} packets`;
  return undefined;
}

const FIELDS: FlowField[] = ['src', 'sport', 'dst', 'dport'];
const fieldOf = (f: Flow, k: FlowField): string =>
  String(k === 'src' ? f.a.addr : k === 'dst' ? f.b.addr : k === 'sport' ? (f.a.port ?? '-') : (f.b.port ?? '-'));

// Fields in which flow b differs from what a conversation seen as flow a should look like after the rewrites.
function flowDiffs(a: Flow, b: Flow, rewritten: FlowField[]): FieldDiff[] {
  const out: FieldDiff[] = [];
  for (const k of FIELDS) {
    const x = fieldOf(a, k);
    const y = fieldOf(b, k);
    if (rewritten.includes(k) && x === y) out.push({ field: k, expected: `rewritten (not ${x})`, seen: y });
    if (!rewritten.includes(k) && x !== y) out.push({ field: k, expected: x, seen: y });
  }
  return out;
}

// One conversation seen at two points, with exactly the named fields rewritten between them. Its flow at
// the second point is the one carrying the same packets (see twins): another probe's flow, rewritten the
// same way at the same moment, is never taken for it.
export function evaluateSameFlow(e: Expectation, atA: ObservationInput, atB: ObservationInput): ExpectationResult {
  const what = `${formatMatcher(e.matcher)} flow at ${e.point} and ${e.other ?? '?'}`;
  const rw = e.rewritten ?? [];
  const how = rw.length ? `${rw.join(', ')} rewritten` : 'unchanged';
  const base = { expectation: e, matched: 0, nearMisses: [] as NearMiss[] };
  const err = atA.error ?? atB.error;
  if (err) return { ...base, pass: false, message: `expected the same ${what}: ${err}` };
  const matching = atA.packets.filter((p) => matchPacket(e.matcher, p).length === 0);
  if (!matching.length)
    return {
      ...base,
      pass: false,
      message: `expected the same ${what} (${how}): no ${formatMatcher(e.matcher)} at ${e.point}`,
    };
  const near = new Map<string, NearMiss>();
  for (const p of matching) {
    const a = flowOf(p, atA.flows);
    for (const q of atB.packets.filter((x) => twins(p, x))) {
      const b = flowOf(q, atB.flows);
      if (!a || !b) continue;
      const diffs = flowDiffs(a, b, rw);
      if (!diffs.length)
        return {
          ...base,
          pass: true,
          matched: 1,
          message: `same flow at ${e.point} and ${e.other}: ${formatFlow(a)} | ${formatFlow(b)} (${how})`,
        };
      if (near.size < MAX_NEAR) near.set(formatFlow(b), { flow: formatFlow(b), diffs });
    }
  }
  const seen = near.size ? `seen at ${e.other}, but not as expected` : `not seen at ${e.other}`;
  return {
    ...base,
    pass: false,
    message: `expected the same ${what} (${how}): ${seen}`,
    nearMisses: [...near.values()],
  };
}

const TWIN_US = 2_000; // a packet forwarded between two points of one sandbox is seen microseconds apart

// True when q can be packet p seen at another point: the same protocol at the same moment, and the same
// echo sequence (ICMP) or sequence number and flags (TCP), which forwarding and NAT keep. Not the echo id
// nor the ports: NAT may rewrite those too (MASQUERADE renumbers an echo id already in use).
export function twins(p: Packet, q: Packet): boolean {
  if (p.proto !== q.proto || Math.abs(p.tsUs - q.tsUs) > TWIN_US) return false;
  if (p.icmp && q.icmp) return p.icmp.type === q.icmp.type && p.icmp.seq === q.icmp.seq;
  if (p.tcp && q.tcp) return p.tcp.seq === q.tcp.seq && p.tcp.flags === q.tcp.flags;
  return true;
}

// A must-not-see: by default a packet counts when it, or a packet a tunnel carries inside it, matches, so
// a tunnel cannot hide what the lab says must not cross; { outerOnly: true } counts the outer packets only.
function evaluateNone(e: Expectation, seen: ObservationInput, what: string, none: NearMiss[]): ExpectationResult {
  const outer = seen.packets.filter((p) => matchPacket(e.matcher, p).length === 0);
  const counted = new Set(outer);
  const carried = e.outerOnly
    ? []
    : seen.packets.filter((p) => p.inner && !counted.has(p) && matchAnyLayer(e.matcher, p.inner));
  const n = outer.length + carried.length;
  const base = { expectation: e, matched: n, nearMisses: none };
  const doubt = untrusted(seen);
  if (doubt) return { ...base, pass: false, message: `cannot prove no ${what} at ${e.point}: ${doubt}` };
  const scope = e.outerOnly ? ' (outer packets only)' : '';
  if (n === 0) return { ...base, pass: true, message: `no ${what} at ${e.point}${scope}, as expected` };
  const flows = new Map<string, NearMiss>();
  for (const p of outer) {
    const f = flowOf(p, seen.flows);
    const line = f ? formatFlow(f) : `${p.ip?.src ?? '?'} -> ${p.ip?.dst ?? '?'}`;
    if (flows.size < MAX_NEAR) flows.set(line, { flow: line, diffs: [] as FieldDiff[] });
  }
  // Each carried packet named whole: the tunnel it crossed in and the packet inside.
  for (const p of carried) {
    const line = `encapsulated: ${describePacket(p)}`;
    if (flows.size < MAX_NEAR + 2) flows.set(line, { flow: line, diffs: [] });
  }
  const inside = carried.length
    ? ` (${carried.length} inside a tunnel: a must-not-see looks inside tunnels; { outerOnly: true } counts only the outer packets)`
    : '';
  return {
    ...base,
    pass: false,
    message: `seen ${n} ${what} at ${e.point}${inside}, expected none`,
    nearMisses: [...flows.values()],
  };
}

// One expectation's verdict, with a one-line message and near misses on failure.
export function evaluateExpectation(e: Expectation, seen: ObservationInput): ExpectationResult {
  const what = formatMatcher(e.matcher);
  const matching = seen.packets.filter((p) => matchPacket(e.matcher, p).length === 0);
  const n = matching.length;
  const base = { expectation: e, matched: n, nearMisses: [] as NearMiss[] };
  if (e.kind === 'expect-none') return evaluateNone(e, seen, what, base.nearMisses);
  if (seen.error) return { ...base, pass: false, message: `expected ${what} at ${e.point}: ${seen.error}` };
  const min = e.count?.min ?? 1;
  const max = e.count?.max;
  const want =
    `${min > 0 ? `>=${min}` : ''}${max !== undefined ? `${min > 0 ? ' ' : ''}<=${max}` : ''}` || 'any number';
  if (n >= min && (max === undefined || n <= max))
    return { ...base, pass: true, message: `seen ${n} ${what} at ${e.point}` };
  const message =
    n === 0
      ? `expected ${what} at ${e.point}: not seen (0 of ${want})`
      : `expected ${what} at ${e.point}: seen ${n}, wanted ${want}`;
  return { ...base, pass: false, message, nearMisses: n < min ? nearMisses(e, seen) : [] };
}

// The author's pattern with its own flags, matching per line.
export function regex(p: Pattern): RegExp {
  return new RegExp(p.source, p.flags.includes('m') ? p.flags : `${p.flags}m`);
}

const show = (p: Pattern): string => `/${p.source}/${p.flags}`;

// A look passes when its command ran and its output matches (and does not match) as required.
export function evaluateLook(look: Look, exitCode: number, output: string): LookResult {
  const where = `[${look.node}] ${look.cmd}`;
  if (exitCode !== 0) return { look, pass: false, exitCode, output, message: `${where}: exited ${exitCode}` };
  if (look.match && !regex(look.match).test(output))
    return { look, pass: false, exitCode, output, message: `${where}: output does not match ${show(look.match)}` };
  if (look.noMatch && regex(look.noMatch).test(output))
    return {
      look,
      pass: false,
      exitCode,
      output,
      message: `${where}: output matches ${show(look.noMatch)}, which it must not`,
    };
  const said = [look.match ? `matches ${show(look.match)}` : '', look.noMatch ? `not ${show(look.noMatch)}` : '']
    .filter(Boolean)
    .join(', ');
  return { look, pass: true, exitCode, output, message: `${where}: ${said}` };
}

// The verdict of a whole check: it passes only if every expectation and look does.
export function evaluateCheck(
  check: Check,
  observations: Map<string, ObservationInput>,
  probes: ProbeResult[],
  looks: LookResult[] = [],
): CheckResult {
  const missing: ObservationInput = {
    packets: [],
    flows: [],
    ready: false,
    error: 'no capture at this point',
    drops: 0,
  };
  const expectations = check.expectations.map((e) =>
    e.kind === 'same-flow'
      ? evaluateSameFlow(e, observations.get(e.point) ?? missing, observations.get(e.other ?? '') ?? missing)
      : evaluateExpectation(e, observations.get(e.point) ?? missing),
  );
  const points: PointObservation[] = check.points.map((point) => {
    const o = observations.get(point) ?? missing;
    return {
      point,
      ready: o.ready,
      drops: o.drops,
      packets: o.packets.length,
      windowMs: o.windowMs ?? 0,
      flows: o.flows,
      seen: seenPackets(o.packets),
      ...(o.error ? { error: o.error } : {}),
      ...(o.pcapPath ? { pcapPath: o.pcapPath } : {}),
    };
  });
  // A point whose capture failed cannot vouch for anything, even with no expectation of its own.
  const pass =
    expectations.every((x) => x.pass) &&
    looks.every((l) => l.pass) &&
    probes.every((p) => p.ok) &&
    points.every((p) => !p.error);
  return { pass, expectations, looks, points, probes };
}
