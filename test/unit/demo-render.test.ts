// The pure parts behind the demo and the HTML report: veth peers from `ip -j` output, NAT twins
// between capture points (whatever order they arrive in), and a topology drawing that fits the width it is given.
import test from 'ava';
import type { Packet } from '../../src/capture/types.js';
import { linkFacts } from '../../src/engine/links.js';
import { PacketLines } from '../../src/ui/demo/packet-lines.js';
import { lineWidth } from '../../src/ui/demo/segments.js';
import { topologyLines } from '../../src/ui/demo/topology-text.js';

const raw = [
  {
    node: 'host',
    links: [
      { ifindex: 1, ifname: 'lo', link_type: 'loopback', flags: ['UP'], addr_info: [{ local: '127.0.0.1', prefixlen: 8, scope: 'host' }] },
      { ifindex: 4, ifname: 'br0', flags: ['UP'], linkinfo: { info_kind: 'bridge' }, addr_info: [{ local: '172.17.0.1', prefixlen: 24, scope: 'global' }, { local: 'fe80::1', prefixlen: 64, scope: 'link' }] },
      { ifindex: 5, ifname: 'veth1', flags: ['UP'], master: 'br0', link_index: 2, link_netnsid: 1, linkinfo: { info_kind: 'veth' } },
      { ifindex: 2, ifname: 'eth0', flags: ['UP'], link_index: 2, link_netnsid: 0, linkinfo: { info_kind: 'veth' }, addr_info: [{ local: '10.0.2.15', prefixlen: 24, scope: 'global' }] },
    ],
  },
  { node: 'wan', links: [{ ifindex: 2, ifname: 'up0', flags: ['UP'], link_index: 2, link_netnsid: 0, linkinfo: { info_kind: 'veth' }, addr_info: [{ local: '10.0.2.2', prefixlen: 24, scope: 'global' }] }] },
  { node: 'mycontainer', links: [{ ifindex: 2, ifname: 'eth0', flags: ['UP'], link_index: 5, link_netnsid: 0, linkinfo: { info_kind: 'veth' }, addr_info: [{ local: '172.17.0.100', prefixlen: 24, scope: 'global' }] }] },
];

test('veth ends are paired across nodes by their indexes; link-scope addresses are left out', (t) => {
  const facts = linkFacts(raw);
  const iface = (node: string, name: string) => facts.find((n) => n.node === node)?.ifaces.find((i) => i.name === name);
  t.deepEqual(iface('host', 'veth1')?.peer, { node: 'mycontainer', iface: 'eth0' });
  t.deepEqual(iface('mycontainer', 'eth0')?.peer, { node: 'host', iface: 'veth1' });
  t.deepEqual(iface('host', 'eth0')?.peer, { node: 'wan', iface: 'up0' });
  t.is(iface('host', 'veth1')?.master, 'br0');
  t.deepEqual(iface('host', 'br0')?.addrs, ['172.17.0.1/24']);
  t.deepEqual(iface('host', 'lo')?.addrs, []);
});

test('the topology drawing fits the width it is given, and marks capture points', (t) => {
  const facts = linkFacts(raw);
  for (const w of [100, 60, 40]) {
    const lines = topologyLines(facts, ['host:br0'], w);
    t.true(lines.every((l) => lineWidth(l) <= w), `width ${w}`);
  }
  const text = topologyLines(facts, ['host:br0'], 100).map((l) => l.map((s) => s.text).join('')).join('\n');
  t.regex(text, /●br0 172\.17\.0\.1\/24/);
  t.regex(text, /eth0 172\.17\.0\.100\/24 ├/);
});

const echo = (src: string, dst: string, name: string, seq: number, tsUs: number): Packet => ({ tsUs, caplen: 98, len: 98, proto: 'icmp', ip: { version: 4, src, dst, ttl: 64, proto: 1, len: 84 }, icmp: { version: 4, type: name === 'echo-request' ? 8 : 0, code: 0, name, id: 7, seq } });

// The highlighted text of a line, if any.
const lit = (l: { text: string; style?: string }[]): string[] => l.filter((x) => x.style?.includes('yellow-bg')).map((x) => x.text);

test('a packet seen at two points with one end changed is a NAT twin: the later copy has that end highlighted', (t) => {
  const f = new PacketLines(0);
  t.deepEqual(lit(f.line('host:br0', echo('172.17.0.100', '203.0.113.8', 'echo-request', 1, 1_000))), []);
  t.deepEqual(lit(f.line('host:eth0', echo('10.0.2.15', '203.0.113.8', 'echo-request', 1, 1_100))), ['10.0.2.15']);
  t.deepEqual(lit(f.line('host:eth0', echo('203.0.113.8', '10.0.2.15', 'echo-reply', 1, 1_200))), []);
  t.deepEqual(lit(f.line('host:br0', echo('203.0.113.8', '172.17.0.100', 'echo-reply', 1, 1_300))), ['172.17.0.100']);
  // Unchanged on both points (no NAT): nothing to highlight.
  t.deepEqual(lit(f.line('host:eth0', echo('172.17.0.100', '203.0.113.8', 'echo-request', 2, 1_400))), []);
  t.deepEqual(lit(f.line('host:br0', echo('172.17.0.100', '203.0.113.8', 'echo-request', 2, 1_500))), []);
});

test('when the translated copy is delivered first, its line is highlighted once the original arrives', (t) => {
  const f = new PacketLines(0);
  const eth0 = f.line('host:eth0', echo('10.0.2.15', '203.0.113.8', 'echo-request', 1, 2_100));
  t.deepEqual(lit(eth0), []);
  const br0 = f.line('host:br0', echo('172.17.0.100', '203.0.113.8', 'echo-request', 1, 2_000));
  t.deepEqual(lit(br0), [], 'the original is not marked');
  t.deepEqual(lit(eth0), ['10.0.2.15'], 'the translated line, already shown, is marked in place');
});
