// A read-only snapshot of the real machine's network (and of the sandboxes' cgroups), to prove that labs never change it.
import { readFileSync } from 'node:fs';
import { readCommand } from './exec.js';
import { which } from './tools.js';
import { labCgroups } from './cgroupfs.js';

export type RootSnapshot = Record<string, string>;

// Output of a read-only command, or a note that it could not run.
function read(cmd: string, args: string[]): string {
  if (!which(cmd)) return `(${cmd} not installed)`;
  const r = readCommand([cmd, ...args]);
  return r.ok ? r.stdout : `(${cmd} failed: ${r.error})`;
}

// Drops what changes on its own: comments with timestamps and packet counters.
function rules(text: string): string {
  return text
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .map((l) => l.replace(/\[\d+:\d+\]/g, '[*]'))
    .join('\n');
}

// Links by name, flags, MTU, address and master; not counters.
function links(): string {
  const raw = read('ip', ['-j', 'link', 'show']);
  try {
    const list = JSON.parse(raw) as {
      ifname: string;
      flags: string[];
      mtu: number;
      address?: string;
      master?: string;
    }[];
    return list
      .map((l) => `${l.ifname} ${l.flags.join(',')} mtu=${l.mtu} ${l.address ?? ''} ${l.master ?? ''}`)
      .join('\n');
  } catch {
    return raw;
  }
}

// Everything a lab could have touched in the root namespace.
export function snapshotRoot(): RootSnapshot {
  const sysctl = (p: string): string => {
    try {
      return readFileSync(p, 'utf8').trim();
    } catch {
      return '(absent)';
    }
  };
  return {
    links: links(),
    addresses: read('ip', ['-o', 'addr', 'show']).replace(/valid_lft \S+ preferred_lft \S+/g, ''),
    routes4: read('ip', ['-4', 'route', 'show', 'table', 'all']),
    routes6: read('ip', ['-6', 'route', 'show', 'table', 'all']).replace(/expires \S+/g, ''),
    netns: read('ip', ['netns', 'list']),
    iptables: rules(read('iptables-save', [])),
    ip6tables: rules(read('ip6tables-save', [])),
    nft: read('nft', ['list', 'ruleset']),
    ip_forward: sysctl('/proc/sys/net/ipv4/ip_forward'),
    ipv6_forwarding: sysctl('/proc/sys/net/ipv6/conf/all/forwarding'),
    labCgroups: labCgroups().join('\n'), // sandboxes' cgroups (lab-RUNID): none may outlive its sandbox
  };
}

// Names of the parts that differ between two snapshots. The sandboxes' cgroups differ only when one was
// added: the runner sweeps away empty ones that dead runs left before the first snapshot.
export function diffSnapshots(a: RootSnapshot, b: RootSnapshot): string[] {
  return Object.keys({ ...a, ...b }).filter((k) => (k === 'labCgroups' ? added(a[k], b[k]) : a[k] !== b[k]));
}

// True when the lines of `after` are not all lines of `before`.
function added(before = '', after = ''): boolean {
  const had = new Set(before.split('\n'));
  return after.split('\n').some((l) => l !== '' && !had.has(l));
}
