// The pure parts behind the demo and the HTML report: veth peers from `ip -j` output, NAT twins
// between capture points (whatever order they arrive in), a topology drawing that fits the width it is given,
// packet lines that fit narrow panes whole, and widths in terminal columns.
import test from 'ava';
import type { Packet } from '../../src/capture/types.js';
import { linkFacts } from '../../src/engine/links.js';
import { fitPacket, fitRows, keepFor, PacketLines, packetRow, type PacketRow } from '../../src/ui/demo/packet-lines.js';
import { HIGHLIGHT, noColorWanted, paint, terminalColours, type Palette } from '../../src/ui/demo/palette.js';
import { lineWidth, plain, renderLine, wrapLine, type Line } from '../../src/ui/demo/segments.js';
import { changedParts, topologyLines } from '../../src/ui/demo/topology-text.js';

const raw = [
  {
    node: 'host',
    links: [
      {
        ifindex: 1,
        ifname: 'lo',
        link_type: 'loopback',
        flags: ['UP'],
        addr_info: [{ local: '127.0.0.1', prefixlen: 8, scope: 'host' }],
      },
      {
        ifindex: 4,
        ifname: 'br0',
        flags: ['UP'],
        linkinfo: { info_kind: 'bridge' },
        addr_info: [
          { local: '172.17.0.1', prefixlen: 24, scope: 'global' },
          { local: 'fe80::1', prefixlen: 64, scope: 'link' },
        ],
      },
      {
        ifindex: 5,
        ifname: 'veth1',
        flags: ['UP'],
        master: 'br0',
        link_index: 2,
        link_netnsid: 1,
        linkinfo: { info_kind: 'veth' },
      },
      {
        ifindex: 2,
        ifname: 'eth0',
        flags: ['UP'],
        link_index: 2,
        link_netnsid: 0,
        linkinfo: { info_kind: 'veth' },
        addr_info: [{ local: '10.0.2.15', prefixlen: 24, scope: 'global' }],
      },
    ],
  },
  {
    node: 'wan',
    links: [
      {
        ifindex: 2,
        ifname: 'up0',
        flags: ['UP'],
        link_index: 2,
        link_netnsid: 0,
        linkinfo: { info_kind: 'veth' },
        addr_info: [{ local: '10.0.2.2', prefixlen: 24, scope: 'global' }],
      },
    ],
  },
  {
    node: 'mycontainer',
    links: [
      {
        ifindex: 2,
        ifname: 'eth0',
        flags: ['UP'],
        link_index: 5,
        link_netnsid: 0,
        linkinfo: { info_kind: 'veth' },
        addr_info: [{ local: '172.17.0.100', prefixlen: 24, scope: 'global' }],
      },
    ],
  },
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
    t.true(
      lines.every((l) => lineWidth(l) <= w),
      `width ${w}`,
    );
  }
  const text = topologyLines(facts, ['host:br0'], 100)
    .map((l) => l.map((s) => s.text).join(''))
    .join('\n');
  t.regex(text, /●br0 172\.17\.0\.1\/24/);
  t.regex(text, /eth0 172\.17\.0\.100\/24 ├/);
});

const echo = (src: string, dst: string, name: string, seq: number, tsUs: number): Packet => ({
  tsUs,
  caplen: 98,
  len: 98,
  proto: 'icmp',
  ip: { version: 4, src, dst, ttl: 64, proto: 1, len: 84 },
  icmp: { version: 4, type: name === 'echo-request' ? 8 : 0, code: 0, name, id: 7, seq },
});

// The highlighted text of a row's whole line, if any.
const lit = (r: PacketRow): string[] =>
  fitPacket(r, 200)
    .filter((x) => x.style === HIGHLIGHT)
    .map((x) => x.text);

test('a packet seen at two points with one end changed is a NAT twin: the later copy has that end highlighted', (t) => {
  const f = new PacketLines(0);
  t.deepEqual(lit(f.row('host:br0', echo('172.17.0.100', '203.0.113.8', 'echo-request', 1, 1_000))), []);
  t.deepEqual(lit(f.row('host:eth0', echo('10.0.2.15', '203.0.113.8', 'echo-request', 1, 1_100))), ['10.0.2.15']);
  t.deepEqual(lit(f.row('host:eth0', echo('203.0.113.8', '10.0.2.15', 'echo-reply', 1, 1_200))), []);
  t.deepEqual(lit(f.row('host:br0', echo('203.0.113.8', '172.17.0.100', 'echo-reply', 1, 1_300))), ['172.17.0.100']);
  // Unchanged on both points (no NAT): nothing to highlight.
  t.deepEqual(lit(f.row('host:eth0', echo('172.17.0.100', '203.0.113.8', 'echo-request', 2, 1_400))), []);
  t.deepEqual(lit(f.row('host:br0', echo('172.17.0.100', '203.0.113.8', 'echo-request', 2, 1_500))), []);
});

test('when the translated copy is delivered first, its line is highlighted once the original arrives', (t) => {
  const f = new PacketLines(0);
  const eth0 = f.row('host:eth0', echo('10.0.2.15', '203.0.113.8', 'echo-request', 1, 2_100));
  t.deepEqual(lit(eth0), []);
  const br0 = f.row('host:br0', echo('172.17.0.100', '203.0.113.8', 'echo-request', 1, 2_000));
  t.deepEqual(lit(br0), [], 'the original is not marked');
  t.deepEqual(lit(eth0), ['10.0.2.15'], 'the translated line, already shown, is marked in place');
});

const text = (l: Line): string => l.map((s) => s.text).join('');

test('segments measure and cut terminal columns: a wide character counts two and is never split at the edge', (t) => {
  const l: Line = [{ text: '▶ ', style: 'yellow-fg' }, { text: 'GET /中文页' }];
  t.is(lineWidth(l), 2 + 5 + 6);
  t.is(renderLine(l, 9), '{yellow-fg}▶ {/}GET /中');
  t.is(renderLine(l, 10), '{yellow-fg}▶ {/}GET /中', 'half of 文 does not fit: left out');
});

test('packet lines fit narrow panes: the least useful parts go first, ▶/◀ SRC → DST proto kind stay whole', (t) => {
  const req = packetRow(echo('172.17.0.100', '203.0.113.8', 'echo-request', 1, 25_860_000), 0);
  t.is(text(fitPacket(req, 200)), '  25.860 ▶ 172.17.0.100 -> 203.0.113.8 ICMP echo-request seq=1 ttl=64');
  t.is(
    text(fitPacket(req, 58)),
    '25.860 ▶ 172.17.0.100 → 203.0.113.8 ICMP echo-request',
    'seq and ttl go before the time',
  );
  t.is(text(fitPacket(req, 38)), '▶ 172.17.0.100 → 203.0.113.8 ICMP echo', 'half of 80 columns: ▶ says request');
  t.is(text(fitPacket(req, 34)), '▶ 172.17.0.100 → 203.0.113.8 echo');
  t.is(text(fitPacket(req, 26)), '▶ 172.17.0.100→203.0.113.8', 'the marker and the ends alone');
  t.is(text(fitPacket(req, 20)), '▶ 172.17.0.100→203.…', 'narrower still: cut, and the cut shows');
  // Every width: never wider than the pane, and every word a whole one of the full line (or "echo").
  const words = new Set([...text(fitPacket(req, 200)).split(/ +|→/), 'echo']);
  for (let w = 0; w <= 80; w++) {
    const l = fitPacket(req, w);
    t.true(lineWidth(l) <= w, `width ${w}: ${text(l)}`);
    if (w >= 26)
      t.deepEqual(
        text(l)
          .split(/ +|→/)
          .filter((x) => !words.has(x)),
        [],
        `width ${w}: ${text(l)}`,
      );
  }
  // The NAT highlight survives the narrowing.
  const f = new PacketLines(0);
  f.row('host:br0', echo('203.0.113.8', '172.17.0.100', 'echo-reply', 1, 1_000));
  const rep = f.row('host:eth0', echo('203.0.113.8', '10.0.2.15', 'echo-reply', 1, 900));
  f.row('host:br0', echo('203.0.113.8', '172.17.0.100', 'echo-reply', 2, 1_950));
  const back = f.row('host:br0', echo('203.0.113.8', '172.17.0.100', 'echo-reply', 3, 2_000));
  f.row('host:eth0', echo('203.0.113.8', '10.0.2.15', 'echo-reply', 3, 1_900));
  t.is(text(fitPacket(back, 38)), '◀ 203.0.113.8 → 172.17.0.100 ICMP echo');
  t.deepEqual(
    fitPacket(back, 38)
      .filter((x) => x.style === HIGHLIGHT)
      .map((x) => x.text),
    ['172.17.0.100'],
  );
  t.is(text(fitPacket(rep, 38)), '◀ 203.0.113.8 → 10.0.2.15 ICMP echo');
  // ARP and TCP give up the same way; an IPv6 pair of ends too wide for the pane is cut with "…".
  const arp: Packet = {
    tsUs: 0,
    caplen: 42,
    len: 42,
    proto: 'arp',
    arp: {
      op: 'request',
      senderMac: '02:00:00:00:00:01',
      senderIp: '172.17.0.100',
      targetMac: '00:00:00:00:00:00',
      targetIp: '172.17.0.1',
    },
  };
  t.is(text(fitPacket(packetRow(arp, 0), 200)), '   0.000 ▶ 172.17.0.100 -> 172.17.0.1 ARP who-has');
  t.is(text(fitPacket(packetRow(arp, 0), 38)), '▶ 172.17.0.100 → 172.17.0.1 who-has');
  const syn: Packet = {
    tsUs: 0,
    caplen: 74,
    len: 74,
    proto: 'tcp',
    ip: { version: 6, src: 'fd00:172:17::100', dst: 'fd00:203:0:113::8', ttl: 64, proto: 6, len: 60 },
    tcp: { sport: 40000, dport: 80, flags: 'SYN', seq: 1, ack: 0, payloadLen: 0 },
  };
  t.is(
    text(fitPacket(packetRow(syn, 0), 200)),
    '   0.000 ▶ [fd00:172:17::100]:40000 -> [fd00:203:0:113::8]:80 TCP SYN hlim=64',
  );
  t.is(
    text(fitPacket(packetRow(syn, 0), 56)),
    '▶ [fd00:172:17::100]:40000 → [fd00:203:0:113::8]:80 SYN',
    'SYN names TCP',
  );
  t.is(text(fitPacket(packetRow(syn, 0), 38)), '▶ [fd00:172:17::100]:40000→[fd00:203:…');
});

test('the palette never paints text black or white, keeps gray only on terminals with 16 colours or more, and NO_COLOR keeps no colour', (t) => {
  const line: Line = [
    { text: 'a', style: 'gray-fg' },
    { text: 'b', style: 'white-fg' },
    { text: 'c', style: HIGHLIGHT },
    { text: 'd', style: 'red-fg}{bold' },
  ];
  const draw = (p: Palette): string => line.map((s) => paint(s.style ?? '', p).join(',')).join(' | ');
  t.is(draw({ colours: 256, noColor: false }), 'gray-fg |  | white-fg,blue-bg,bold | red-fg,bold');
  t.is(
    draw({ colours: 8, noColor: false }),
    ' |  | white-fg,blue-bg,bold | red-fg,bold',
    'on 8 colours blessed would draw gray as black',
  );
  t.is(draw({ colours: 256, noColor: true }), ' |  | inverse,bold | bold');
  t.is(terminalColours(8, 'tmux-256color'), 256, 'blessed cannot read this terminfo: the name is trusted');
  t.is(terminalColours(8, 'screen-256color'), 256);
  t.is(terminalColours(8, 'screen'), 8);
  t.true(noColorWanted({ NO_COLOR: '1' }));
  t.false(noColorWanted({ NO_COLOR: '' }));
});

test("a reply rewritten back is highlighted on every point of the inside (br0 and the container's veth), whatever order the captures deliver it in", (t) => {
  const f = new PacketLines(0);
  const veth = f.row('host:veth1', echo('203.0.113.8', '172.17.0.100', 'echo-reply', 1, 3_020));
  const br0 = f.row('host:br0', echo('203.0.113.8', '172.17.0.100', 'echo-reply', 1, 3_010));
  const eth0 = f.row('host:eth0', echo('203.0.113.8', '10.0.2.15', 'echo-reply', 1, 3_000));
  t.deepEqual(lit(veth), ['172.17.0.100']);
  t.deepEqual(lit(br0), ['172.17.0.100']);
  t.deepEqual(lit(eth0), [], 'the reply as it arrived is not marked');
});

test('packet lines keep the field the step is about: ttl stays at 38 columns when the step names it', (t) => {
  const req = packetRow(echo('172.17.0.100', '203.0.113.8', 'echo-request', 1, 25_860_000), 0);
  t.is(text(fitPacket(req, 38)), '▶ 172.17.0.100 → 203.0.113.8 ICMP echo', 'no ttl when the step does not name it');
  t.is(text(fitPacket(req, 38, keepFor(['src', 'dst', 'ttl']))), '▶ 172.17.0.100→203.0.113.8 echo ttl=64');
  t.is(
    text(fitPacket(req, 30, keepFor(['ttl']))),
    '▶ 172.17.0.100→203.0.113.8 tt…',
    'narrower: cut, and the cut shows',
  );
  t.deepEqual(keepFor(['src', 'icmpType']), {});
  t.deepEqual(keepFor(['mtu']), { details: true });
});

test('a command line wraps between words, later rows indented, styles kept', (t) => {
  const l: Line = [
    { text: '[host] $ ', style: 'cyan-fg' },
    { text: 'ip link add veth1 type veth peer name eth0 netns mycontainer' },
  ];
  const rows = wrapLine(l, 30, 4);
  t.deepEqual(rows.map(text), ['[host] $ ip link add veth1', '    type veth peer name eth0', '    netns mycontainer']);
  t.is(rows[0]?.[0]?.style, 'cyan-fg');
  t.true(rows.every((r) => lineWidth(r) <= 30));
  t.deepEqual(
    wrapLine(plain('x'.repeat(25)), 10, 2).map(text),
    ['xxxxxxxxxx', '  xxxxxxxx', '  xxxxxxx'],
    'a word longer than a row is broken',
  );
});

test('a pane lines its packets up in fixed columns: the arrow, the kind and the ttl start in the same column on every line', (t) => {
  const arp: Packet = {
    tsUs: 1_000,
    caplen: 42,
    len: 42,
    proto: 'arp',
    arp: {
      op: 'request',
      senderMac: '02:00:00:00:00:01',
      senderIp: '172.17.0.1',
      targetMac: '',
      targetIp: '172.17.0.2',
    },
  };
  const req = echo('172.17.0.100', '203.0.113.8', 'echo-request', 1, 2_000);
  const rep = { ...echo('203.0.113.8', '172.17.0.100', 'echo-reply', 1, 3_000) };
  rep.ip = { ...rep.ip!, ttl: 63 };
  const rows = [arp, req, rep].map((p) => packetRow(p, 0));
  for (const width of [200, 60]) {
    const lines = fitRows(rows, width).map(text);
    t.true(
      lines.every((l) => l.length <= width),
      lines.join('\n'),
    );
    const at = (re: RegExp): number[] => lines.map((l) => l.search(re)).filter((i) => i >= 0);
    t.is(new Set(at(/ ?(->|→)/)).size, 1, `the arrows line up at ${width}:\n${lines.join('\n')}`);
    t.is(new Set(at(/ttl=/)).size, 1, `the ttls line up at ${width}:\n${lines.join('\n')}`);
    t.is(at(/ttl=/).length, 2);
  }
  // Too narrow to pad: each line alone, still keeping the ttl the step names.
  const narrow = fitRows(rows, 38, keepFor(['ttl'])).map(text);
  t.deepEqual(narrow.slice(1), ['▶ 172.17.0.100→203.0.113.8 echo ttl=64', '◀ 203.0.113.8→172.17.0.100 echo ttl=63']);
});

test('the topology redrawn after a step highlights what the step added: the container, its veth and the bridge port', (t) => {
  const after = linkFacts(raw);
  // Before the step: no container, no veth1, br0 without its address.
  const before = after
    .filter((n) => n.node !== 'mycontainer')
    .map((n) => ({
      ...n,
      ifaces: n.ifaces.filter((i) => i.name !== 'veth1').map((i) => (i.name === 'br0' ? { ...i, addrs: [] } : i)),
    }));
  const fresh = changedParts(before, after);
  t.deepEqual([...fresh].sort(), ['host:br0', 'host:veth1', 'mycontainer', 'mycontainer:eth0']);
  t.deepEqual(changedParts(after, after).size, 0, 'a step that changes nothing highlights nothing');
  const lit = topologyLines(after, [], 100, fresh)
    .flat()
    .filter((s) => s.style === HIGHLIGHT)
    .map((s) => s.text.trim())
    .filter(Boolean);
  t.true(lit.includes('mycontainer'), lit.join('|'));
  t.true(lit.some((x) => x.startsWith('veth1')) && lit.some((x) => x.startsWith('br0 172.17.0.1')), lit.join('|'));
  t.false(
    lit.some((x) => /up0|^eth0 10\.0\.2/.test(x)),
    'the wan side was there before',
  );
});
