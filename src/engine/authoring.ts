// What a lab author's public API (src/lab.ts) needs from below the engine, in one place:
// matchers, the sandbox's fixed addresses, and the runbook's container start line.
import { unshareArgv } from '../sandbox/container.js';

export { arp, asMatcher, http, icmp, icmp6, ip, tcp, udp } from '../check/matchers.js';
export type { Matcher, MatcherFactory, MatcherLike } from '../check/matchers.js';
export type { Check, Expectation, FlowField, Hint, Look, PacketMatcher, Probe, StateView } from '../check/types.js';
export { BASELINE_IFACES, HOST, WAN } from '../sandbox/topology.js';
export { nptExplain, nptMap } from '../tools/npt.js';

// The runbook's unshare line for a container declared with start: 'step'.
export function containerStartLine(name: string): string {
  return `${unshareArgv(name).join(' ')} sh`;
}
