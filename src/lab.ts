// The public API of a lab module: the model's builders and types (src/model). A lab imports this file
// (and labs/shared) and nothing else.
export {
  defineLab,
  host,
  link,
  on,
  restartContainer,
  service,
  startContainer,
  stopContainer,
} from './model/commands.js';
export type { CommandOptions } from './model/commands.js';
export type { FlowField, Hint } from './model/check.js';
export type { LabCommand, LabDef, LinkSpec, Mistake, Prediction, StepDef } from './model/lab.js';
export { arp, http, icmp, icmp6, ip, tcp, udp } from './model/matchers.js';
export type { Matcher, MatcherFactory, MatcherLike } from './model/matchers.js';
export { hint, inspect, Observation, observe } from './model/observe.js';
export { httpGet, ping, tcpConnect, tcpRead, udpSend } from './model/probes.js';
export type { PingOptions, ProbeOptions } from './model/probes.js';
export { HOST, WAN } from './model/topology.js';
export { nptExplain, nptMap } from './tools/npt.js';
