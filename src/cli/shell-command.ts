// `lab shell`: a shell (or one command) inside a node of a kept sandbox.
import { spawnSync } from 'node:child_process';
import { EnvironmentError, UsageError, type ExitCode } from '../errors.js';
import { CONTAINER_ENV, enterArgv } from '../sandbox/container.js';
import { isAlive, listStates } from '../sandbox/state.js';
import { which } from '../sys/tools.js';

// Finds the sandbox by run id, or the newest kept one of a lab, and enters the node.
export function shellCommand(ref: string, node: string, cmd: string[]): ExitCode | number {
  const states = listStates().filter((s) => isAlive(s.initPid));
  const s = states.find((x) => x.runId === ref) ?? states.find((x) => x.kept && (x.lab === ref || x.lab.startsWith(`${ref}-`)));
  if (!s) {
    const kept = states.filter((x) => x.kept).map((x) => `${x.runId} (${x.lab})`);
    throw new UsageError('SANDBOX_NOT_FOUND', `no kept sandbox for "${ref}"`, kept.length ? `kept sandboxes: ${kept.join(', ')}` : `start one with: lab run ${ref} --keep`);
  }
  if (!s.nodes.includes(node)) throw new UsageError('UNKNOWN_NODE', `sandbox ${s.runId} has no node "${node}"`, `its nodes are: ${s.nodes.join(', ')}`);
  const sh = which('bash') ? ['bash', '--norc', '-i'] : ['sh', '-i'];
  const container = s.containers?.[node];
  const enter = container ? enterArgv(container).slice(1) : ['-t', String(s.initPid), '-m', '-p', 'nsenter', `--net=/run/netns/${node}`];
  const argv = [...enter, ...(cmd.length ? ['sh', '-c', cmd.join(' ')] : sh)];
  if (!cmd.length) process.stderr.write(`entering ${node} of sandbox ${s.runId} (${s.lab}); exit to leave, \`lab clean\` to remove the sandbox\n`);
  const env = { ...(container ? CONTAINER_ENV : process.env), TERM: process.env.TERM ?? 'xterm', PS1: `[${s.lab} ${node}] \\w # ` };
  const r = spawnSync('nsenter', argv, { stdio: 'inherit', env });
  if (r.error) throw new EnvironmentError('TOOL_MISSING', `cannot run nsenter: ${r.error.message}`, 'apt-get install -y util-linux');
  return r.status ?? 1;
}
