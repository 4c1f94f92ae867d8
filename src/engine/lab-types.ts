// What a lab module declares: a topology and ordered steps of real commands, each checked by packets.
import type { Check } from '../check/types.js';
import type { LabLimits } from '../sandbox/limits.js';
import type { LinkSpec, TopologySpec } from '../sandbox/topology.js';

export type { LabLimits, LinkSpec };

export interface LabCommand {
  node: string; // where it runs: host, wan, or a container
  cmd: string; // the very line a student types
  expectFail?: boolean; // the runbook's "Hmm, not working" moments
  readOnly?: boolean; // only shows state (lsns, ip netns list): leaving it out changes nothing a check could see
  waitFor?: string; // a command in the same node that succeeds once a started service answers
  start?: string; // this line starts that container (topology start: 'step')
  detached?: boolean; // runs until teardown (a service, a watcher); waitFor says when it is ready
  stop?: string; // stops that container (its PID 1 and all its processes)
  restart?: { container: string; address?: string; iface?: string; gateway?: string }; // stop, new address, start
  timeoutMs?: number; // this command's bound, 1 s to 300 s (default 30 s); at the bound its process tree is killed
}

// A question asked before the step runs; the answer is shown after the packets, right or wrong.
export interface Prediction {
  question: string;
  choices: string[]; // two or more
  answer: number; // index into choices
  why: string; // shown with the answer
}

// A plausible wrong way to do a step: what a student might type instead of its commands, and the hint
// (a pattern of its words) the step's check must answer it with. `lab verify` tries each one.
export interface Mistake {
  run: LabCommand[]; // run in place of the step's commands, from the step's starting state
  hint: RegExp; // the hint the failed check must pick
  why?: string; // what the student got wrong, in words (shown by lab verify)
}

export interface StepDef {
  id: string; // stable: tests and CI refer to it (--skip, --until)
  title: string;
  explain: string; // why, in a few sentences
  arrange?: LabCommand[]; // setup of the scene, not under test: runs even when the step is skipped
  run: LabCommand[];
  before?: Check; // the state before the commands, so the report shows both
  check?: Check;
  prediction?: Prediction; // the walkthrough asks it; hints sit on the check's expectations and looks
  mistakes?: Mistake[]; // wrong commands the check must catch, each with the hint it must draw
}

export interface LabDef {
  id: string; // NN-name, the file name without extension
  title: string;
  summary: string;
  topology: TopologySpec;
  steps: StepDef[];
  limits?: LabLimits; // the sandbox's processes, memory, writable space, CPU weight (defaults in limits.ts)
  tools?: string[]; // commands the lab runs beyond the usual (e.g. 'conntrack'); missing ones stop it before it starts
  vxlanPort?: number; // another UDP port the captures read as VXLAN (8472, Linux's old default); 4789 always is
}
