// The builders of a check: observe(points, ...probes).expect(...), inspect().look(...), and the hints a
// lab gives for each way it fails, all as plain data the engine runs and the checks judge.
import type { Check, Expectation, FlowField, Hint, Look, StateView } from './check.js';
import { asMatcher, ip, type MatcherLike } from './matchers.js';
import type { Probe } from './probes.js';

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
