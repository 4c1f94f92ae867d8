// Picks the one hint a student sees after a failed check, from what the packets showed: the lab's
// hint for the way an expectation failed, else the near-miss line, else the failure itself. A hint only
// says what the observation supports: an ARP or ND packet missing where its sender's IP packets passed
// means the sender knew the answer already, not that nothing arrived. Pure.
import { inPrefix, parseAddressOrCidr } from '../model/address.js';
import { regex } from './evaluate.js';
import type { CheckResult, ExpectationResult, LookResult, PickedHint, PointObservation } from './types.js';
import type { Hint } from '../model/check.js';

export type { PickedHint };

const HOUSEKEEPING = /^(neighbor-|router-|mld|redirect)/;
const CACHED_FIT = 2.5; // above any hint that fits a missing packet; below a near miss with the very value seen

// How well a declared hint fits a failed expectation: 0 does not fit; higher is more specific.
export function hintFit(h: Hint, x: ExpectationResult): number {
  if (x.pass) return 0;
  if (h.when === 'failed') return 1;
  if (h.when === 'not-seen')
    return x.expectation.kind === 'expect' && x.matched === 0 && x.nearMisses.length === 0 ? 2 : 0;
  if (h.when !== 'near') return 0;
  const diffs = x.nearMisses.flatMap((n) => n.diffs).filter((d) => d.field === h.field);
  if (!diffs.length) return 0;
  if (h.seen === undefined) return 2;
  return diffs.some((d) => d.seen === h.seen) ? 3 : 0;
}

// How well a declared hint fits a failed look: one keyed by what the look read beats a plain one.
export function lookHintFit(h: Hint, l: LookResult): number {
  if (l.pass) return 0;
  if (h.when === 'failed') return 1;
  return h.when === 'read' && h.read && regex(h.read).test(l.output) ? 2 : 0;
}

// "src: expected 10.0.2.15, seen 172.17.0.100" for the nearest packet of a failed expectation.
export function nearMissLine(x: ExpectationResult): string | undefined {
  const n = x.nearMisses.find((m) => m.diffs.length);
  return n ? n.diffs.map((d) => `${d.field}: expected ${d.expected}, seen ${d.seen}`).join('; ') : undefined;
}

// An expected ARP or ND packet not seen at a point where the address that would have asked sent or got
// IP packets: it did not ask because it knew the answer, so its neighbour entry may be cached.
export function cachedNeighbourHint(x: ExpectationResult, points: PointObservation[]): PickedHint | undefined {
  const m = x.expectation.matcher;
  const type = m.fields.icmpType ?? '';
  if (x.pass || x.expectation.kind !== 'expect' || x.matched > 0 || (m.proto !== 'arp' && !/^neighbor-/.test(type)))
    return undefined;
  const answer = m.fields.arpOp === 'reply' || type === 'neighbor-advertisement';
  const asker = answer ? m.fields.dst : m.fields.src; // a request's sender; the one an answer goes to
  const wanted = answer ? m.fields.src : m.fields.dst;
  const prefix = asker !== undefined ? parseAddressOrCidr(asker) : undefined;
  const mine = (addr: string): boolean => (prefix ? inPrefix(addr, prefix) : true);
  const flows = points.find((p) => p.point === x.expectation.point)?.flows ?? [];
  const ip = flows.filter(
    (f) => f.proto !== 'arp' && ![...f.fwd.kinds, ...f.rev.kinds].every((k) => HOUSEKEEPING.test(k)),
  );
  const spoke = ip.find((f) => mine(f.a.addr) || mine(f.b.addr));
  if (!spoke) return undefined;
  const side = mine(spoke.a.addr) ? spoke.fwd : spoke.rev;
  const kinds = side.kinds.filter((k) => !HOUSEKEEPING.test(k)).join(', ') || 'IP packets';
  const who = asker ?? 'the sender';
  const text =
    `no ${m.label} at ${x.expectation.point}, but ${who}'s ${kinds} passed there: it did not need to ask, so its neighbour entry` +
    `${wanted ? ` for ${wanted}` : ''} may be cached (ip neigh show, in the node that has ${who}; a permanent entry outlives a flush)`;
  return { text, from: 'observed', about: x.message };
}

// The hint for a check's result, or undefined when it passed.
export function pickHint(result: CheckResult): PickedHint | undefined {
  if (result.pass) return undefined;
  // A point that could not be captured explains its own failures: no lab hint about packets fits them.
  const blind = result.points.find((p) => p.error);
  if (blind?.error) return { text: blind.error, from: 'failure', about: blind.error };
  const failed = result.expectations.filter((x) => !x.pass);
  const looks = result.looks.filter((l) => !l.pass);
  let best: { fit: number; hint: PickedHint } | undefined;
  const offer = (fit: number, hint: PickedHint): void => void (fit > (best?.fit ?? 0) && (best = { fit, hint }));
  for (const x of failed) {
    const cached = cachedNeighbourHint(x, result.points);
    if (cached) offer(CACHED_FIT, cached);
    // A lab's "nothing arrived" is contradicted by the packets that did.
    for (const h of x.expectation.hints ?? [])
      if (!(cached && h.when === 'not-seen')) offer(hintFit(h, x), { text: h.text, from: 'lab', about: x.message });
  }
  if (!best)
    for (const l of looks)
      for (const h of l.look.hints ?? []) offer(lookHintFit(h, l), { text: h.text, from: 'lab', about: l.message });
  if (best) return best.hint;
  for (const x of failed) {
    const line = nearMissLine(x);
    if (line) return { text: line, from: 'near-miss', about: x.message };
  }
  const probe = result.probes.find((p) => !p.ok);
  const first =
    failed[0]?.message ??
    looks[0]?.message ??
    (probe ? `[${probe.node}] ${probe.command}: exited ${probe.exitCode}` : result.points.find((p) => p.error)?.error);
  return first ? { text: first, from: 'failure', about: first } : undefined;
}

// Hints a step declares on its checks (before and after), for authors and tests.
export function declaredHints(
  check: { expectations: { hints?: Hint[] }[]; looks?: { hints?: Hint[] }[] } | undefined,
): Hint[] {
  if (!check) return [];
  return [...check.expectations.flatMap((e) => e.hints ?? []), ...(check.looks ?? []).flatMap((l) => l.hints ?? [])];
}
