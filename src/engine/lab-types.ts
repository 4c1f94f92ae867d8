// What a lab module declares: a topology and ordered steps of real commands, each checked by packets.
import type { Check } from '../check/types.js';
import type { TopologySpec } from '../sandbox/topology.js';

export interface LabCommand {
  node: string; // where it runs: host, wan, or a container
  cmd: string; // the very line a student types
  expectFail?: boolean; // the runbook's "Hmm, not working" moments
}

export interface StepDef {
  id: string; // stable: tests and CI refer to it (--skip, --until)
  title: string;
  explain: string; // why, in a few sentences
  run: LabCommand[];
  check?: Check;
}

export interface LabDef {
  id: string; // NN-name, the file name without extension
  title: string;
  summary: string;
  topology: TopologySpec;
  steps: StepDef[];
}
