// The builders a lab writes its commands and links with: host('ip link ...'), service(...), link(...).
import type { LabCommand, LabDef, LinkSpec, RestartCommand, ServiceCommand, ShCommand } from './lab.js';
import { containerStartLine } from './topology.js';

// Types a lab definition for its author; the loader validates it again at run time.
export function defineLab(def: LabDef): LabDef {
  return def;
}

export interface CommandOptions {
  expectFail?: boolean; // the lesson expects it to fail
  readOnly?: boolean; // it only shows state; `lab verify` does not expect a check to miss it
  timeoutMs?: number; // its bound, 1 s to 300 s (default 30 s)
  usesWanWeb?: boolean; // it talks to the sandbox internet's web server (WAN.web), which then runs
}

const common = (opts: CommandOptions): { expectFail?: true; usesWanWeb?: true } => ({
  ...(opts.expectFail ? { expectFail: true } : {}),
  ...(opts.usesWanWeb ? { usesWanWeb: true } : {}),
});

// A command in any node: on('mycontainer', 'ip link set lo up').
export function on(node: string, cmd: string, opts: CommandOptions = {}): ShCommand {
  return {
    kind: 'sh',
    node,
    cmd,
    ...common(opts),
    ...(opts.readOnly ? { readOnly: true } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
  };
}

// A command on the host, the machine of the runbook.
export function host(cmd: string, opts: CommandOptions = {}): ShCommand {
  return on('host', cmd, opts);
}

// Starts a service that keeps running (no `&` needed), waits (bounded, 10 s) until `waitFor` succeeds in
// the same node, and stops it at teardown. A command that daemonizes itself (an init script) works too.
export function service(
  node: string,
  cmd: string,
  waitFor: string,
  opts: Pick<CommandOptions, 'expectFail' | 'usesWanWeb'> = {},
): ServiceCommand {
  return { kind: 'service', node, cmd, waitFor, ...common(opts) };
}

// The runbook's unshare line that starts a container declared with start: 'step'.
export function startContainer(name: string): LabCommand {
  return { kind: 'start', node: 'host', cmd: containerStartLine(name), container: name };
}

// Stops a container: its PID 1 dies, and all its processes with it; its network namespace stays.
export function stopContainer(name: string): LabCommand {
  return { kind: 'stop', node: 'host', cmd: `stop container ${name}`, container: name };
}

// Stops a container and starts it again; with `address`, its interface (default eth0) gets that CIDR
// instead of the old one (and a default route via `gateway`), as a container manager's restart may do.
// `waitFor`: a command on the host that succeeds once whatever follows container events has caught up.
export function restartContainer(
  name: string,
  opts: { address?: string; iface?: string; gateway?: string; waitFor?: string } = {},
): RestartCommand {
  const what = opts.address ? ` with address ${opts.address}` : '';
  return { kind: 'restart', node: 'host', cmd: `restart container ${name}${what}`, container: name, ...opts };
}

// A veth pair between two nodes, written as containerlab does: link('host:ts0 <-> peer:ts0', { 'host:ts0': ['100.64.0.1/24'] }).
export function link(ends: string, addresses: Record<string, string | string[]> = {}): LinkSpec {
  const [a = '', b = ''] = ends.split('<->').map((x) => x.trim());
  return {
    endpoints: [a, b],
    addresses: Object.fromEntries(Object.entries(addresses).map(([k, v]) => [k, Array.isArray(v) ? v : [v]])),
  };
}
