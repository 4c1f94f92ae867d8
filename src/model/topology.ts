// The topology a lab declares, and the baseline every sandbox starts from: `host` with its uplink, `wan`
// playing the internet, containers and extra nodes. The sandbox builds it (src/sandbox/topology.ts).

// Addresses the sandbox's internet answers on; documentation ranges only, never real ones.
export const WAN = {
  gateway: '10.0.2.2', // wan's end of host's uplink, as a VirtualBox NAT gateway
  dns: '203.0.113.8', // stands in for 8.8.8.8
  web: '203.0.113.80', // an HTTP server
  client: '198.51.100.7', // an outside client for port-mapping labs
  gateway6: '2001:db8:0:2::2', // wan's end of the uplink, IPv6
  dns6: '2001:db8:8::8', // answers ping and HTTP over IPv6
} as const;

export const HOST = {
  uplink: 'eth0',
  addr: '10.0.2.15',
  prefix: 24,
  addr6: '2001:db8:0:2::15',
  prefix6: 64,
  delegated6: '2001:db8:1::/48', // routed to the host by wan, as an ISP delegates a prefix (NPTv6 labs)
} as const;

export const WAN_UPLINK = 'up0';

export interface ContainerSpec {
  hostname?: string; // default: the container's name
  start?: 'sandbox' | 'step'; // 'step': the lab creates its namespace and starts it (lab 01)
  netAdmin?: boolean; // false: every process in it runs without CAP_NET_ADMIN (default true)
}

// A plain network namespace with a role (a second peer, a second host); no root of its own.
export interface NodeSpec {
  role: string; // one line: what it plays
  routes?: string[]; // `ip route add` arguments, e.g. 'default via 100.64.0.1'
  forwarding?: boolean; // a router: IPv4 and IPv6 forwarding on
}

// A veth pair, containerlab style: endpoints 'node:iface', addresses per endpoint.
export interface LinkSpec {
  endpoints: [string, string];
  addresses?: Record<string, string[]>; // 'node:iface' -> CIDRs
}

export interface TopologySpec {
  containers: Record<string, ContainerSpec>;
  nodes?: Record<string, NodeSpec>;
  links?: LinkSpec[];
}

// Interfaces the baseline gives each fixed node (links may not reuse them).
export const BASELINE_IFACES: Record<string, string[]> = { host: ['lo', HOST.uplink], wan: ['lo', WAN_UPLINK] };

// Containers the sandbox starts itself, before the first step.
export function autoContainers(t: TopologySpec): string[] {
  return Object.entries(t.containers)
    .map(([n]) => n)
    .filter((n) => !startsInStep(t, n));
}

// Names of every node of a topology, in creation order.
export function nodeNames(t: TopologySpec): string[] {
  return ['host', 'wan', ...Object.keys(t.nodes ?? {}), ...Object.keys(t.containers)];
}

// Splits 'node:iface'.
export function endpoint(e: string): { node: string; iface: string } {
  const [node = '', iface = ''] = e.split(':');
  return { node, iface };
}

// Nodes whose network namespaces the keeper makes as it starts (a step-started container's is the lab's own).
export function prebuiltNodes(t: TopologySpec): string[] {
  return nodeNames(t).filter((n) => !startsInStep(t, n));
}

// True when the node is one of the topology's containers (its own root, PID 1 and hostname), the one
// place that decides it; the others (host, wan, extra nodes) are plain network namespaces.
export function isContainer(t: TopologySpec, node: string): boolean {
  return Object.hasOwn(t.containers, node);
}

// True when the lab's own step starts the container (its namespace does not exist before that step).
export function startsInStep(t: TopologySpec, node: string): boolean {
  return isContainer(t, node) && t.containers[node]?.start === 'step';
}

// The runbook's unshare line, joining the namespace with nsenter (unshare --net=FILE would make a new
// one); the root is entered by the init script (pivot_root), not by --root (a chroot). The sandbox runs it,
// and a lab's startContainer() shows it as the line a student types.
export function unshareArgv(name: string): string[] {
  return ['nsenter', `--net=/run/netns/${name}`, 'unshare', '--fork', '--pid', '--mount', '--uts', '--cgroup', '--ipc'];
}

// The runbook's unshare line for a container declared with start: 'step'.
export function containerStartLine(name: string): string {
  return `${unshareArgv(name).join(' ')} sh`;
}

// The kernel's rule for a hostname (RFC 1123 labels, at most 64 bytes: __NEW_UTS_LEN), so a lab's
// name reaches `hostname` as a value that means what it says.
export function hostnameProblem(name: unknown): string | undefined {
  if (typeof name !== 'string') return 'must be a string';
  if (name.length === 0 || name.length > 64) return 'must be 1 to 64 characters';
  if (!/^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/.test(name))
    return 'must be letters, digits and inner hyphens, in dot-separated labels';
  return undefined;
}
