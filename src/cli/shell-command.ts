// `lab shell`: a shell (or one command, its argv unchanged) inside a node of a running or kept sandbox.
import { findSandbox, runShell, sandboxShell } from '../engine/attach.js';

// Finds the sandbox, says where the person is going, and gives them the terminal.
export function shellCommand(ref: string, node: string, cmd: string[]): number {
  const s = findSandbox(ref);
  const spec = sandboxShell(s, node, cmd);
  if (!cmd.length) process.stderr.write(`entering ${node} of sandbox ${s.runId} (${s.lab}); exit to leave, \`lab clean\` to remove the sandbox\n`);
  return runShell(spec);
}
