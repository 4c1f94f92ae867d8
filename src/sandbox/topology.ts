// The world every lab starts from: `host` with its uplink, `wan` playing the internet, empty containers.

// Addresses the sandbox's internet answers on; documentation ranges only, never real ones.
export const WAN = {
  gateway: '10.0.2.2', // wan's end of host's uplink, as a VirtualBox NAT gateway
  dns: '203.0.113.8', // stands in for 8.8.8.8
  web: '203.0.113.80', // an HTTP server
  client: '198.51.100.7', // an outside client for port-mapping labs
} as const;

export const HOST = {
  uplink: 'eth0',
  addr: '10.0.2.15',
  prefix: 24,
} as const;

export const WAN_UPLINK = 'up0';

export interface ContainerSpec {
  hostname?: string; // default: the container's name
  start?: 'sandbox' | 'step'; // 'step': the lab creates its namespace and starts it (lab 01)
}

export interface TopologySpec {
  containers: Record<string, ContainerSpec>;
}

// Containers the sandbox starts itself, before the first step.
export function autoContainers(t: TopologySpec): string[] {
  return Object.entries(t.containers).filter(([, c]) => c.start !== 'step').map(([n]) => n);
}

// Names of every node of a topology, in creation order.
export function nodeNames(t: TopologySpec): string[] {
  return ['host', 'wan', ...Object.keys(t.containers)];
}

// Shell lines that build the baseline; run once inside the keeper (not part of the lesson).
export function baselineScript(t: TopologySpec): string {
  const lines: string[] = ['set -e'];
  const prebuilt = nodeNames(t).filter((n) => t.containers[n]?.start !== 'step');
  for (const n of prebuilt) {
    lines.push(`ip netns add ${n}`);
    if (n === 'host' || n === 'wan') lines.push(`ip -n ${n} link set lo up`); // a container's lo is the lab's to raise
    // A new namespace copies the real machine's IPv4 settings: start every node from a known state.
    lines.push(`ip netns exec ${n} sysctl -qw net.ipv4.ip_forward=0 net.ipv6.conf.all.forwarding=0`);
  }
  lines.push(
    `ip link add name ${HOST.uplink} netns host type veth peer name ${WAN_UPLINK} netns wan`,
    `ip -n host addr add ${HOST.addr}/${HOST.prefix} dev ${HOST.uplink}`,
    `ip -n host link set ${HOST.uplink} up`,
    `ip -n host route add default via ${WAN.gateway}`,
    `ip -n wan addr add ${WAN.gateway}/${HOST.prefix} dev ${WAN_UPLINK}`,
    `ip -n wan link set ${WAN_UPLINK} up`,
    `ip -n wan addr add ${WAN.dns}/32 dev lo`,
    `ip -n wan addr add ${WAN.web}/32 dev lo`,
    `ip -n wan addr add ${WAN.client}/32 dev lo`,
  );
  return lines.join('\n');
}
