// What a lab module declares: a topology and ordered steps of real commands, each checked by packets.
import type { Check } from './check.js';
import type { LabLimits } from './limits.js';
import { PROBES } from './probes.js';
import type { LinkSpec, TopologySpec } from './topology.js';

export type { LabLimits, LinkSpec };

// What every command has: where it runs and the very line a student types.
interface CommandBase {
  node: string; // where it runs: host, wan, or a container
  cmd: string; // the very line a student types (for a container start, stop or restart: what it does, in words)
  expectFail?: boolean; // the runbook's "Hmm, not working" moments
  // It talks to the sandbox internet's web server (WAN.web), which then runs; a probe of a TCP kind says
  // so itself (PROBES[kind].tcp).
  usesWanWeb?: boolean;
}

// A command line, run to its end (bounded).
export interface ShCommand extends CommandBase {
  kind: 'sh';
  readOnly?: boolean; // only shows state (lsns, ip netns list): leaving it out changes nothing a check could see
  timeoutMs?: number; // this command's bound, 1 s to 300 s (default 30 s); at the bound its process tree is killed
}

// A service: runs until teardown; `waitFor` (a command in the same node) succeeds once it answers.
export interface ServiceCommand extends CommandBase {
  kind: 'service';
  waitFor: string;
}

// Starts a container declared with start: 'step' (the runbook's unshare line).
export interface StartCommand extends CommandBase {
  kind: 'start';
  container: string;
}

// Stops a container: its PID 1 and all its processes; its network namespace stays.
export interface StopCommand extends CommandBase {
  kind: 'stop';
  container: string;
}

// Stops a container and starts it again, with a new address on `iface` (default eth0) when given.
export interface RestartCommand extends CommandBase {
  kind: 'restart';
  container: string;
  address?: string;
  iface?: string;
  gateway?: string;
  waitFor?: string; // a command on the host that succeeds once whatever follows container events has caught up
}

export type LabCommand = ShCommand | ServiceCommand | StartCommand | StopCommand | RestartCommand;
export type CommandKind = LabCommand['kind'];
export const COMMAND_KINDS: readonly CommandKind[] = ['sh', 'service', 'start', 'stop', 'restart'];

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

// Every command of a lab: arrange, run and the mistakes' commands, of every step.
export function allCommands(def: LabDef): LabCommand[] {
  return def.steps.flatMap((s) => [...(s.arrange ?? []), ...s.run, ...(s.mistakes ?? []).flatMap((m) => m.run)]);
}

// True when wan's web server must run: a probe of a kind that talks TCP, or a command that says it uses it.
export function usesWanWeb(def: LabDef): boolean {
  return (
    allCommands(def).some((c) => c.usesWanWeb) ||
    def.steps.some((s) => [s.before, s.check].some((c) => c?.probes.some((p) => PROBES[p.kind].tcp)))
  );
}
