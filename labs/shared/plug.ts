// The same few lines in every lab with containers on br0: a veth into the container's namespace, enslaved
// to br0, the container's address and a default route via the bridge's gateway.
import { host, on } from '../../src/lab.js';

// A container on br0 with its address and a default route via GATEWAY.
export const plug = (name: string, addr: string, gateway: string) => [
  host(`ip link add veth-${name} type veth peer name eth0 netns ${name}`),
  host(`ip link set veth-${name} master br0`),
  host(`ip link set veth-${name} up`),
  on(name, `ip addr add ${addr}/24 dev eth0`),
  on(name, 'ip link set eth0 up'),
  on(name, 'ip link set lo up'),
  on(name, `ip route add default via ${gateway}`),
];
