// What a lab module declares: a topology and ordered steps of real commands, each checked by packets.
import type { Check } from '../check/types.js';
import type { TopologySpec } from '../sandbox/topology.js';

export interface LabCommand {
  node: string; // where it runs: host, wan, or a container
  cmd: string; // the very line a student types
  expectFail?: boolean; // the runbook's "Hmm, not working" moments
  readOnly?: boolean; // only shows state (lsns, ip netns list): leaving it out changes nothing a check could see
  waitFor?: string; // a command in the same node that succeeds once a started service answers
  start?: string; // this line starts that container (topology start: 'step')
  timeoutMs?: number; // this command's bound, 1 s to 300 s (default 30 s); at the bound its process tree is killed
}

export interface StepDef {
  id: string; // stable: tests and CI refer to it (--skip, --until)
  title: string;
  explain: string; // why, in a few sentences
  run: LabCommand[];
  before?: Check; // the state before the commands, so the report shows both
  check?: Check;
}

export interface LabDef {
  id: string; // NN-name, the file name without extension
  title: string;
  summary: string;
  topology: TopologySpec;
  steps: StepDef[];
}
