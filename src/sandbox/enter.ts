// How to get into a node of a sandbox, in one place: the runner's commands, captures, and a
// person's shell (live or kept sandbox) all enter the same way, through namespace files the runner
// holds open (ns-handles.ts): nsenter opens /proc/RUNNER/fd/N, never a path inside the sandbox.
import { InternalError, UsageError } from '../errors.js';
import { NSENTER_OPTION } from '../sys/ns-files.js';
import { perlScript } from '../sys/perl.js';
import { systemTool } from '../sys/tools.js';
import { CONTAINER_ENV } from './container.js';
import { CONTAINER_KINDS, KEEPER_KINDS, type NsHandles, type NsKind } from './ns-handles.js';

export { UTS_DIR } from './ns-handles.js';

export interface EnterSpec {
  argv: string[]; // prefix: append the program and its arguments
  env?: Record<string, string>; // replaces the environment (a container's own)
}

const option = (kind: NsKind, path: string): string => `${NSENTER_OPTION[kind]}=${path}`;

// The node's own namespace of `kind`; a node without one (a container a step has not started yet) cannot be entered.
function own(ns: NsHandles, node: string, kind: NsKind): string {
  const path = ns.node(node, kind);
  if (!path)
    throw new UsageError(
      'CONTAINER_NOT_RUNNING',
      `${node} of sandbox ${ns.runId} has no ${kind} namespace yet`,
      'a step must start it first (startContainer)',
    );
  return path;
}

// argv prefix: a new, empty session keyring, then `argv` (sys/perl/keyring.pl): a process that enters
// the sandbox holds none of the runner's (or the person's) keys, which its root could otherwise read.
export function freshKeyring(argv: string[]): string[] {
  return [systemTool('perl'), '-e', perlScript('keyring'), ...argv];
}

// argv prefix that enters the keeper's user (as its root, an unprivileged id outside), mount, PID, UTS
// IPC and (empty) network namespaces, the last so `ip netns add` can return to a namespace it owns: what runs there can build the sandbox but cannot touch the real machine.
export function keeperPrefix(ns: NsHandles): string[] {
  return freshKeyring(['nsenter', ...KEEPER_KINDS.map((k) => option(k, ns.keeper(k)))]);
}

// The runner's own programs (captures, the wan's web server): the real root, in the real mount
// namespace (its code may live where the sandbox's root cannot read), the keeper's PID namespace (so
// they die with it) and the node's network namespace.
export function machineryPrefix(ns: NsHandles, node: string): string[] {
  return ['nsenter', option('pid', ns.keeper('pid')), option('net', own(ns, node, 'net'))];
}

// A node's network namespace inside the keeper's other namespaces (not `ip netns exec`, whose
// private mount namespace would hide what a lab's own `ip netns add` mounts). The runner's own tools
// use it as it is (in any node's network namespace, containers' too); a person or a step in a plain
// node also gets that node's own namespaces of the other kinds (its UTS namespace: see enterNode).
export function nodePrefix(ns: NsHandles, node: string, ownKinds = false): string[] {
  return [
    'nsenter',
    ...KEEPER_KINDS.map((k) =>
      option(
        k,
        k === 'net'
          ? own(ns, node, 'net')
          : ((ownKinds && k !== 'user' ? ns.node(node, k) : undefined) ?? ns.keeper(k)),
      ),
    ),
  ];
}

// Every namespace and the root of a running container.
function containerPrefix(ns: NsHandles, node: string): string[] {
  const root = ns.root(node);
  if (!root) throw new InternalError(`container ${node} has no root open`);
  return ['nsenter', ...CONTAINER_KINDS.map((k) => option(k, own(ns, node, k))), `--root=${root}`, `--wd=${root}`];
}

// A plain node (its own namespaces), or a running container. A container started without
// CAP_NET_ADMIN (`netAdmin: false`) is entered without it too: every process entering it drops the
// capability, as the container's own would not have it.
export function enterNode(ns: NsHandles, node: string, container: boolean, netAdmin = true): EnterSpec {
  if (!container) return { argv: freshKeyring(nodePrefix(ns, node, true)) };
  return {
    argv: freshKeyring([
      ...containerPrefix(ns, node),
      ...(netAdmin ? [] : ['setpriv', '--inh-caps=-net_admin', '--bounding-set=-net_admin']),
    ]),
    env: CONTAINER_ENV,
  };
}

export interface ShellSpec {
  argv: string[];
  env: Record<string, string>;
}

// A person's shell (or their one command, argv unchanged) in a node, with a prompt naming it.
export function shellSpec(enter: EnterSpec, node: string, cmd: string[], outer: NodeJS.ProcessEnv): ShellSpec {
  const env: Record<string, string> = enter.env
    ? { ...enter.env }
    : Object.fromEntries(Object.entries(outer).filter((e): e is [string, string] => e[1] !== undefined));
  env.TERM = outer.TERM ?? 'xterm';
  env.PS1 = `[${node}]# `;
  return { argv: [...enter.argv, ...(cmd.length ? cmd : ['bash', '--norc', '-i'])], env };
}
