// How to get into a node of a sandbox, in one place: the runner's commands, captures, and a
// person's shell (live or kept sandbox) all enter the same way.
import { CONTAINER_ENV, enterArgv } from './container.js';

// Where the baseline pins each plain node's own UTS namespace (its hostname), in the keeper's /run.
export const UTS_DIR = '/run/lab/uts';

export interface EnterSpec {
  argv: string[]; // prefix: append the program and its arguments
  env?: Record<string, string>; // replaces the environment (a container's own)
}

// argv prefix that enters the keeper's user (as its root, an unprivileged id outside), mount, PID, UTS
// IPC and (empty) network namespaces, the last so `ip netns add` can return to a namespace it owns: what runs there can build the sandbox but cannot touch the real machine.
export function keeperPrefix(initPid: number): string[] {
  return ['nsenter', '-t', String(initPid), '-U', '-m', '-p', '-u', '-i', '-n'];
}

// The runner's own programs (captures, the wan's web server): the real root, in the real mount
// namespace (its code may live where the sandbox's root cannot read), the keeper's PID namespace (so
// they die with it) and the node's network namespace, reached through the keeper's root.
export function machineryPrefix(initPid: number, node: string): string[] {
  return ['nsenter', '-t', String(initPid), '-p', `--net=/proc/${initPid}/root/run/netns/${node}`];
}

// A node's network namespace inside the keeper's mount namespace (not `ip netns exec`, whose
// private mount namespace would hide what a lab's own `ip netns add` mounts). One nsenter: it opens
// the node's namespace file through the keeper's root before it enters anything. The runner's own
// tools use it as it is (in any node's network namespace, containers' too); a person or a step in a
// plain node also gets that node's own UTS namespace (see enterNode).
export function nodePrefix(initPid: number, node: string, ownUts = false): string[] {
  const uts = ownUts ? `--uts=/proc/${initPid}/root${UTS_DIR}/${node}` : '-u';
  return ['nsenter', '-t', String(initPid), '-U', '-m', '-p', uts, '-i', `--net=/proc/${initPid}/root/run/netns/${node}`];
}

// A plain node (its network and UTS namespaces), or every namespace and the root of a running container.
// A container started without CAP_NET_ADMIN (`netAdmin: false`) is entered without it too: every process
// entering it drops the capability, as the container's own would not have it.
export function enterNode(initPid: number, node: string, containerPid?: number, netAdmin = true): EnterSpec {
  if (!containerPid) return { argv: nodePrefix(initPid, node, true) };
  return { argv: [...enterArgv(containerPid), ...(netAdmin ? [] : ['setpriv', '--inh-caps=-net_admin', '--bounding-set=-net_admin'])], env: CONTAINER_ENV };
}

export interface ShellSpec {
  argv: string[];
  env: Record<string, string>;
}

// A person's shell (or their one command, argv unchanged) in a node, with a prompt naming it.
export function shellSpec(enter: EnterSpec, node: string, cmd: string[], outer: NodeJS.ProcessEnv): ShellSpec {
  const env: Record<string, string> = enter.env ? { ...enter.env } : Object.fromEntries(Object.entries(outer).filter((e): e is [string, string] => e[1] !== undefined));
  env.TERM = outer.TERM ?? 'xterm';
  env.PS1 = `[${node}]# `;
  return { argv: [...enter.argv, ...(cmd.length ? cmd : ['bash', '--norc', '-i'])], env };
}
