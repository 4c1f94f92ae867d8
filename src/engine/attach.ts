// Ways into sandboxes that outlive this process (kept with --keep, or run by another `lab`):
// `lab shell` finds one by run id or lab and gets the same shell the session would give.
import { EnvironmentError, UsageError } from '../errors.js';
import { joinArgv } from '../sandbox/cgroup.js';
import { enterNode, shellSpec, type ShellSpec } from '../sandbox/enter.js';
import { NsHandles, PINS } from '../sandbox/ns-handles.js';
import { nodePath } from '../sandbox/node-tools.js';
import { isAlive, listStates, type SandboxState } from '../sandbox/state.js';
import { runOnTerminal } from '../sys/exec.js';

// The live sandbox a person means: a run id, or the newest running or kept sandbox of a lab (id or prefix).
export function findSandbox(ref: string): SandboxState {
  const states = listStates().filter((s) => isAlive(s.initPid));
  const s =
    states.find((x) => x.runId === ref) ??
    states.find((x) => x.lab === ref || x.lab.startsWith(`${ref}-`) || x.lab.startsWith(ref));
  if (!s) {
    const dead = listStates().find((x) => x.runId === ref);
    if (dead)
      throw new EnvironmentError(
        'SANDBOX_DEAD',
        `sandbox ${ref} (${dead.lab}) is dead: its keeper (pid ${dead.initPid}) is gone, and its namespaces with it`,
        `remove what is left of it: lab clean ${ref}`,
      );
    const known = states.map((x) => `${x.runId} (${x.lab}${x.kept ? ', kept' : ', running'})`);
    throw new UsageError(
      'SANDBOX_NOT_FOUND',
      `no running or kept sandbox matches "${ref}"`,
      known.length ? `sandboxes: ${known.join(', ')}` : `start one with: lab run ${ref} --keep`,
    );
  }
  return s;
}

// The argv and environment of a shell (or of `cmd`, passed through unchanged) in a node of that sandbox.
// Its namespaces are opened here with no link followed, and each must be the one the run recorded when
// it built the sandbox: what runs inside may have replaced the files that name them. This process holds
// them open until it exits; the shell's nsenter opens them through it.
export function sandboxShell(s: SandboxState, node: string, cmd: string[]): ShellSpec {
  if (!s.nodes.includes(node))
    throw new UsageError(
      'UNKNOWN_NODE',
      `sandbox ${s.runId} has no node "${node}"`,
      `its nodes are: ${s.nodes.join(', ')}`,
    );
  const ns = keeperHandles(s);
  const pid = s.containers?.[node];
  if (pid) ns.openContainer(node, pid);
  else if (s.namespaces?.nodes[node]?.uts)
    for (const kind of Object.keys(PINS) as (keyof typeof PINS)[]) ns.openPin(node, kind);
  else
    throw new UsageError(
      'CONTAINER_NOT_RUNNING',
      `container ${node} of sandbox ${s.runId} is not running`,
      'start the lab again, or enter another node',
    );
  const entered = enterNode(ns, node, Boolean(pid), !(s.withoutNetAdmin ?? []).includes(node));
  // The shell joins the sandbox's cgroup first: its limits hold for what a person starts there too.
  const spec = shellSpec({ ...entered, argv: [...joinArgv(s.cgroups ?? []), ...entered.argv] }, node, cmd, process.env);
  // host, wan and plain nodes see the node tools (nat66, lk) as the session's commands do.
  return pid ? spec : { ...spec, env: { ...spec.env, PATH: nodePath(process.env.PATH) } };
}

// Every namespace of a sandbox, reopened as sandboxShell reopens one node's: the keeper's, a running
// container's through its PID 1, and what the keeper's /run pins of the other nodes (a stopped
// container's network among them). Each must be the one its journal entry records, or none is kept.
export function recordedHandles(s: SandboxState): NsHandles {
  const ns = keeperHandles(s);
  try {
    for (const node of s.nodes) {
      const pid = s.containers?.[node];
      const recorded = s.namespaces?.nodes[node] ?? {};
      if (pid) ns.openContainer(node, pid);
      else for (const kind of Object.keys(PINS) as (keyof typeof PINS)[]) if (recorded[kind]) ns.openPin(node, kind);
    }
  } catch (err) {
    ns.close();
    throw err;
  }
  return ns;
}

// The sandbox's own namespaces, checked against its journal entry; an entry that records none is refused.
function keeperHandles(s: SandboxState): NsHandles {
  if (!s.namespaces)
    throw new EnvironmentError(
      'SANDBOX_UNRECORDED',
      `sandbox ${s.runId} was made by an older lab that recorded none of its namespaces: it cannot be entered safely`,
      `remove it: lab clean ${s.runId}`,
    );
  const ns = new NsHandles(s.runId, s.initPid, s.namespaces);
  ns.openKeeper();
  return ns;
}

// Hands the terminal to a shell spec (from a session or a sandbox) and returns its exit status.
export function runShell(spec: ShellSpec): number {
  return runOnTerminal({ argv: spec.argv, env: spec.env });
}
