// Finds the system tools the runner needs and says how to install the missing ones.
import { accessSync, constants } from 'node:fs';
import { EnvironmentError } from '../errors.js';

const SEARCH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

// Debian package that provides each tool.
export const TOOL_PACKAGES: Record<string, string> = {
  ip: 'iproute2',
  unshare: 'util-linux',
  nsenter: 'util-linux',
  iptables: 'iptables',
  'iptables-save': 'iptables',
  ip6tables: 'iptables',
  nft: 'nftables',
  sysctl: 'procps',
  ping: 'iputils-ping',
  curl: 'curl',
  nc: 'netcat-openbsd',
  mount: 'mount',
  debootstrap: 'debootstrap',
  setpriv: 'util-linux',
  flock: 'util-linux',
  python3: 'python3',
  perl: 'perl-base',
  du: 'coreutils',
  conntrack: 'conntrack',
  tcpdump: 'tcpdump',
  bridge: 'iproute2',
  ss: 'iproute2',
  tc: 'iproute2',
  ethtool: 'ethtool',
  arping: 'iputils-arping',
  socat: 'socat',
};

// Absolute path of a tool, or undefined.
export function which(tool: string): string | undefined {
  const dirs = [...(process.env.PATH ?? '').split(':').filter(Boolean), ...SEARCH];
  for (const dir of dirs) {
    const p = `${dir}/${tool}`;
    try {
      accessSync(p, constants.X_OK);
      return p;
    } catch {
      // keep looking
    }
  }
  return undefined;
}

// Absolute path of a tool of the distribution itself (the system directories first, then PATH): the
// runner's own machinery wants Debian's perl, not a version manager's shim (a shim is a slow program of its own).
export function systemTool(tool: string): string {
  for (const dir of SEARCH) {
    try {
      accessSync(`${dir}/${tool}`, constants.X_OK);
      return `${dir}/${tool}`;
    } catch {
      // keep looking
    }
  }
  return which(tool) ?? tool;
}

// Throws an environment error naming every missing tool and the apt line that installs them.
export function requireTools(tools: string[]): void {
  const missing = tools.filter((t) => !which(t));
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing.map((t) => TOOL_PACKAGES[t] ?? t))];
  throw new EnvironmentError(
    'TOOL_MISSING',
    `missing tool${missing.length > 1 ? 's' : ''}: ${missing.join(', ')}`,
    `install with: apt-get install -y ${pkgs.join(' ')}   (or run ./lab, which installs them)`,
  );
}
