// `lab shell`: a shell (or one command, its argv unchanged) inside a node of a running or kept sandbox.
import { findSandbox, runShell, sandboxShell } from '../engine/attach.js';
import { sandboxAlive } from '../engine/sandbox-alive.js';
import { setTimeout as delay } from 'node:timers/promises';
import type { SandboxState } from '../sandbox/state.js';
import { EXIT } from '../errors.js';

// Finds the sandbox, says where the person is going, and gives them the terminal; if the lab ended
// meanwhile (its sandbox took the shell with it), says so: this terminal is the real machine again.
export async function shellCommand(ref: string, node: string, cmd: string[]): Promise<number> {
  const s = findSandbox(ref);
  const spec = sandboxShell(s, node, cmd);
  if (!cmd.length)
    process.stderr.write(
      `entering ${node} of sandbox ${s.runId} (${s.lab}); exit to leave, \`lab clean\` to remove the sandbox\n`,
    );
  const code = runShell(spec);
  // A shell killed by a signal (129: see runOnTerminal; 137: SIGKILL) may have been killed by the
  // lab's teardown, still under way: wait for the keeper to go.
  if ((code !== 129 && code !== 137) || !(await gone(s, 3000))) return code;
  process.stderr.write(
    `\nlab shell: the lab ended and its sandbox ${s.runId} (${s.lab}) is gone, with this shell inside it.\n` +
      'You are back on the real machine: commands typed here change this machine, not the lab.\n' +
      `hint: start the lab again (lab run ${s.lab}), or keep its sandbox with --keep\n`,
  );
  return EXIT.environment;
}

// True once the sandbox's keeper is gone, polled every 50 ms up to the bound.
async function gone(s: SandboxState, boundMs: number): Promise<boolean> {
  const end = Date.now() + boundMs;
  while (sandboxAlive(s)) {
    if (Date.now() >= end) return false;
    await delay(50);
  }
  return true;
}
