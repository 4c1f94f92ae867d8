// What a check observed and concluded: the results of the declarations in src/model/check.ts.
import type { Endpoint, Flow, L4Proto } from '../capture/types.js';
import type { Expectation, Look, Probe, StateView } from '../model/check.js';

// The one hint a failed check says, picked by the engine from what was observed.
export interface PickedHint {
  text: string;
  // declared by the lab, the engine's reading of the packets (a neighbour cached), the nearest packet's
  // differing fields, or the verdict itself
  from: 'lab' | 'observed' | 'near-miss' | 'failure';
  about: string; // the verdict line it explains
}
export interface ViewResult {
  view: StateView;
  exitCode: number;
  lines: string[]; // the lines shown: those matching view.lines, or the whole output
}

export interface FieldDiff {
  field: string;
  expected: string;
  seen: string;
}

// A seen flow close to what was expected, with the fields that differed.
export interface NearMiss {
  flow: string; // tshark-like line
  diffs: FieldDiff[];
}

export interface ExpectationResult {
  expectation: Expectation;
  pass: boolean;
  matched: number; // packets that matched
  message: string; // one line: what was expected and what happened
  nearMisses: NearMiss[];
}

// One packet as a sequence diagram draws it: who sent it to whom, what it was, when.
export interface SeenPacket {
  us: number; // capture time, microseconds since the epoch
  proto: L4Proto;
  src: Endpoint; // IP source (with the port), or the ARP sender
  dst: Endpoint;
  kind: string; // echo-request, SYN, PSH,ACK, who-has, neighbor-solicitation, udp, ip-proto-2
  http?: string; // what the segment carries: "GET /", "200"
  hop?: string; // ttl=64 or hlim=64
  tunnel?: string; // "VXLAN vni=42" when the packet is a tunnel's
}

// What one capture point observed during a check window.
export interface PointObservation {
  point: string;
  ready: boolean; // armed before the first probe
  error?: string; // capture could not open or died
  drops: number; // kernel drops reported by libpcap; -1 when it could not say
  packets: number;
  pcapPath?: string; // --save-pcap: the file holding this window
  windowMs: number; // from ready to stop
  flows: Flow[];
  seen?: SeenPacket[]; // the window's first packets one by one, in capture order (bounded)
}

export interface ProbeResult {
  probe: Probe;
  command: string;
  node: string;
  exitCode: number;
  ok: boolean; // succeeded, or failed where the lab says it fails
  durationMs: number;
  output: string;
}

export interface LookResult {
  look: Look;
  pass: boolean;
  exitCode: number;
  output: string;
  message: string;
}

export interface CheckResult {
  pass: boolean;
  expectations: ExpectationResult[];
  looks: LookResult[];
  points: PointObservation[];
  probes: ProbeResult[];
  hint?: PickedHint; // a failed check's hint, once the engine picked it
  cause?: string; // a failed check's root cause in one line, from its first failed expectation's nearest packet
  views?: ViewResult[]; // the state views the check declares, as read after its probes
}
