// lk's model: per-project bridges and the commented iptables rules that go with them; what is expected,
// what the kernel has, and the drift between the two. Pure: the entry file reads the kernel and applies.
import { contains4, formatCidr4, formatIpv4, parseIpv4, type Cidr4 } from './ipv4.js';
import { optionValue, quoteWord, type SavedRule, type SavedTable } from './saved-rules.js';
import { usageError } from './tool-error.js';

export const FORWARD_CHAIN = 'LAB_FORWARD'; // filter, jumped to from FORWARD
export const PREROUTING_CHAIN = 'LAB_PREROUTING'; // nat, jumped to from PREROUTING
export const JUMP_COMMENT = 'lk:jump';
export const BRIDGE_PREFIX = 'lk-';

export interface Bridge {
  name: string;
  project: string;
  subnets: Cidr4[]; // IPv4 subnets on the bridge (one /24 when lk made it)
  gateway: string | undefined; // the bridge's own IPv4 address
  up: boolean;
}

export interface Tables {
  filter: SavedTable;
  nat: SavedTable;
}

export type Role = 'masq' | 'in' | 'out' | 'port';

export interface LkRule {
  project: string;
  role: Role;
  rule: SavedRule;
  port?: PortSpec;
}

export interface PortSpec {
  hostPort: number;
  ip: string;
  port: number;
  proto: 'tcp' | 'udp';
}

// Refuses a project name that cannot make a bridge name: letters, digits, "_" and "-", and lk-NAME within 15.
export function validateProject(name: string | undefined): string {
  if (name === undefined || name === '') throw usageError('PROJECT is required (e.g. lk net create web)');
  if (!/^[a-z0-9][a-z0-9_-]*$/.test(name))
    throw usageError(
      `PROJECT "${name}" may hold only lowercase letters, digits, "_" and "-", and must start with a letter or digit`,
    );
  const bridge = BRIDGE_PREFIX + name;
  if (bridge.length > 15)
    throw usageError(
      `PROJECT "${name}" is too long: its bridge ${bridge} would be ${bridge.length} characters, and Linux allows 15 (so at most ${15 - BRIDGE_PREFIX.length} for the project)`,
    );
  return name;
}

// The bridge of a project.
export function bridgeOf(project: string): string {
  return BRIDGE_PREFIX + project;
}

// The comment a rule of a project carries, e.g. "lk:web:masq" or "lk:web:port:8080:10.1.2.2:80:tcp".
export function commentOf(project: string, role: Role, p?: PortSpec): string {
  return role === 'port' && p
    ? `lk:${project}:port:${p.hostPort}:${p.ip}:${p.port}:${p.proto}`
    : `lk:${project}:${role}`;
}

// Reads a comment back into project, role and port; undefined for anything lk did not write.
export function parseComment(
  comment: string | undefined,
): { project: string; role: Role; port?: PortSpec } | undefined {
  const parts = comment?.split(':') ?? [];
  if (parts[0] !== 'lk' || parts.length < 3) return undefined;
  const project = parts[1] ?? '';
  const role = parts[2];
  if (role === 'masq' || role === 'in' || role === 'out') return parts.length === 3 ? { project, role } : undefined;
  if (role !== 'port' || parts.length !== 7) return undefined;
  const proto = parts[6];
  if (proto !== 'tcp' && proto !== 'udp') return undefined;
  return { project, role, port: { hostPort: Number(parts[3]), ip: parts[4] ?? '', port: Number(parts[5]), proto } };
}

// Every rule that carries an lk project comment, from both tables.
export function lkRules(t: Tables): LkRule[] {
  const out: LkRule[] = [];
  for (const rule of [...t.nat.rules, ...t.filter.rules]) {
    const c = parseComment(rule.comment);
    if (c) out.push({ project: c.project, role: c.role, rule, ...(c.port ? { port: c.port } : {}) });
  }
  return out;
}

// The rule text (after "-A CHAIN") of each expected rule of a project; the comment names project and role.
export function netRuleSpecs(
  project: string,
  subnet: Cidr4,
): { role: Role; table: 'nat' | 'filter'; chain: string; spec: string }[] {
  const br = bridgeOf(project);
  const s = formatCidr4(subnet);
  const c = (role: Role): string => `-m comment --comment ${quoteWord(commentOf(project, role))}`;
  return [
    { role: 'masq', table: 'nat', chain: 'POSTROUTING', spec: `-s ${s} ! -d ${s} ${c('masq')} -j MASQUERADE` },
    { role: 'out', table: 'filter', chain: FORWARD_CHAIN, spec: `-i ${br} ! -o ${br} ${c('out')} -j ACCEPT` },
    { role: 'in', table: 'filter', chain: FORWARD_CHAIN, spec: `! -i ${br} -o ${br} ${c('in')} -j ACCEPT` },
  ];
}

// The two rules of a port forward: DNAT in LAB_PREROUTING and ACCEPT in LAB_FORWARD, with one comment.
export function portRuleSpecs(project: string, p: PortSpec): { nat: string; filter: string } {
  const br = bridgeOf(project);
  const c = `-m comment --comment ${quoteWord(commentOf(project, 'port', p))}`;
  return {
    nat: `! -i ${br} -p ${p.proto} -m ${p.proto} --dport ${p.hostPort} ${c} -j DNAT --to-destination ${p.ip}:${p.port}`,
    filter: `-d ${p.ip}/32 ! -i ${br} -o ${br} -p ${p.proto} -m ${p.proto} --dport ${p.port} ${c} -j ACCEPT`,
  };
}

// True when the table has a rule in `from` that jumps to `to`.
export function hasJump(t: SavedTable, from: string, to: string): boolean {
  return t.rules.some((r) => r.chain === from && optionValue(r.args, '-j') === to);
}

// The restore lines that create the two chains and their jumps when missing (one list per table).
export function baseLines(t: Tables): { filter: string[]; nat: string[] } {
  const filter: string[] = [];
  const nat: string[] = [];
  if (!t.filter.chains.includes(FORWARD_CHAIN)) filter.push(`-N ${FORWARD_CHAIN}`);
  if (!hasJump(t.filter, 'FORWARD', FORWARD_CHAIN))
    filter.push(`-I FORWARD 1 -m comment --comment ${JUMP_COMMENT} -j ${FORWARD_CHAIN}`);
  if (!t.nat.chains.includes(PREROUTING_CHAIN)) nat.push(`-N ${PREROUTING_CHAIN}`);
  if (!hasJump(t.nat, 'PREROUTING', PREROUTING_CHAIN))
    nat.push(`-I PREROUTING 1 -m comment --comment ${JUMP_COMMENT} -j ${PREROUTING_CHAIN}`);
  return { filter, nat };
}

// Joins per-table line lists into one iptables-restore --noflush input (tables with no line are left out).
export function restoreText(lines: { filter: string[]; nat: string[] }): string {
  const parts: string[] = [];
  for (const table of ['filter', 'nat'] as const) {
    if (lines[table].length) parts.push(`*${table}`, ...lines[table], 'COMMIT');
  }
  return parts.length ? `${parts.join('\n')}\n` : '';
}

// Parses "HOSTPORT[/tcp|/udp]" and "IP:PORT" for a port forward into the project's subnet.
export function parsePort(hostText: string | undefined, targetText: string | undefined, subnet: Cidr4): PortSpec {
  if (hostText === undefined || targetText === undefined)
    throw usageError('write lk port PROJECT HOSTPORT[/tcp|/udp] CONTAINER_IP:PORT');
  const h = /^(\d{1,5})(?:\/(tcp|udp))?$/.exec(hostText);
  const hostPort = Number(h?.[1]);
  if (!h || hostPort < 1 || hostPort > 65535)
    throw usageError(`HOSTPORT "${hostText}" is not a port (1-65535, optionally /tcp or /udp)`);
  const m = /^([\d.]+):(\d{1,5})$/.exec(targetText);
  const addr = m ? parseIpv4(m[1] ?? '') : undefined;
  const port = Number(m?.[2]);
  if (!m || addr === undefined || port < 1 || port > 65535)
    throw usageError(`CONTAINER_IP:PORT "${targetText}" is not an IPv4 address and port (e.g. 10.1.2.2:80)`);
  if (!contains4(subnet, addr) || addr === subnet.net || addr === subnet.net + 255 || addr === subnet.net + 1) {
    throw usageError(
      `CONTAINER_IP ${m[1]} is not a container address in the project's subnet ${formatCidr4(subnet)} (.2 to .254)`,
    );
  }
  return { hostPort, ip: formatIpv4(addr), port, proto: (h[2] as 'tcp' | 'udp' | undefined) ?? 'tcp' };
}
