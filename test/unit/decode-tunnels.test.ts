// Tunnels, sizes and fragments, decoded from captures made in a sandbox (fixtures/pcap/make-tunnels.sh):
// VXLAN on the underlay, Geneve (built from the same frames: this kernel has no geneve device), IPv4 and
// IPv6 fragments, fragmentation-needed and packet-too-big; then the matchers, checks and flows over them.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { decodeFrame, describePacket } from '../../src/capture/decode.js';
import { assembleFlows } from '../../src/capture/flows.js';
import { readPcap } from '../../src/capture/pcap-file.js';
import type { Packet } from '../../src/capture/types.js';
import { evaluateCheck } from '../../src/check/evaluate.js';
import { formatCheckReport, formatFlow, formatMatcher } from '../../src/check/format.js';
import { arp, icmp, icmp6, ip, safeText, udp, validateMatcher } from '../../src/model/matchers.js';
import { matchPacket } from '../../src/check/matchers.js';
import { probeCommand } from '../../src/model/probes.js';
import { observe, ping } from '../../src/lab.js';

const pcap = (name: string, opts = {}): Packet[] => {
  const { linktype, frames } = readPcap(fileURLToPath(new URL(`../../../fixtures/pcap/${name}`, import.meta.url)));
  return frames.map((f) => decodeFrame(f, linktype, opts));
};
const seen = (packets: Packet[]) => ({ packets, flows: assembleFlows(packets), ready: true, drops: 0 });

test('VXLAN: the VNI and the carried frame, decoded as a packet of its own', (t) => {
  const ps = pcap('vxlan.pcap');
  t.is(ps.length, 8);
  const [who, isAt, req, rep] = ps.slice(2);
  t.deepEqual(
    [req?.ip?.src, req?.ip?.dst, req?.udp?.sport, req?.udp?.dport, req?.udp?.payloadLen],
    ['192.0.2.1', '192.0.2.2', 57406, 4789, 106],
  );
  t.deepEqual(req?.tunnel, { kind: 'vxlan', vni: 42 });
  t.deepEqual(req?.inner?.eth, { src: '02:00:0a:2a:00:01', dst: '02:00:0a:2a:00:02', type: 0x0800 });
  t.deepEqual(req?.inner?.ip, { version: 4, src: '10.42.0.1', dst: '10.42.0.2', ttl: 64, proto: 1, len: 84 });
  t.deepEqual(req?.inner?.icmp, { version: 4, type: 8, code: 0, name: 'echo-request', id: 0x51a5, seq: 1 });
  t.deepEqual(req?.inner?.frag, { df: true, more: false, offset: 0 });
  t.is(req?.inner?.len, 98);
  t.is(rep?.inner?.icmp?.name, 'echo-reply');
  t.deepEqual(who?.inner?.arp, {
    op: 'request',
    senderMac: '02:00:0a:2a:00:01',
    senderIp: '10.42.0.1',
    targetMac: '00:00:00:00:00:00',
    targetIp: '10.42.0.2',
  });
  t.is(isAt?.inner?.arp?.op, 'reply');
  t.is(ps[0]?.inner?.ip?.dst, '224.0.0.22', "the bridge's own IGMP report, carried too");
  t.is(
    describePacket(req!),
    '192.0.2.1:57406 -> 192.0.2.2:4789 UDP len=106 ttl=64 VXLAN vni=42 [10.42.0.1 -> 10.42.0.2 ICMP echo-request id=0x51a5 seq=1 ttl=64]',
  );
});

test('VXLAN on another port only when the lab says so', (t) => {
  const moved = pcap('vxlan.pcap').length; // the same frames with the destination port rewritten to 8472
  t.is(moved, 8);
  const { frames } = readPcap(fileURLToPath(new URL('../../../fixtures/pcap/vxlan.pcap', import.meta.url)));
  const f = frames[4]!;
  const data = Buffer.from(f.data);
  data.writeUInt16BE(8472, 14 + 20 + 2);
  const frame = { ...f, data };
  t.is(decodeFrame(frame).tunnel, undefined);
  t.is(decodeFrame(frame).udp?.dport, 8472);
  t.deepEqual(decodeFrame(frame, 1, { vxlanPort: 8472 }).tunnel, { kind: 'vxlan', vni: 42 });
  t.is(decodeFrame(frame, 1, { vxlanPort: 8472 }).inner?.icmp?.name, 'echo-request');
});

test('Geneve: VNI, options skipped, the carried frame', (t) => {
  const [req, rep] = pcap('geneve.pcap');
  t.deepEqual([req?.udp?.dport, rep?.udp?.dport], [6081, 6081]);
  t.deepEqual(req?.tunnel, { kind: 'geneve', vni: 42 });
  t.deepEqual(rep?.tunnel, { kind: 'geneve', vni: 42 });
  t.deepEqual(req?.inner?.ip, { version: 4, src: '10.42.0.1', dst: '10.42.0.2', ttl: 64, proto: 1, len: 84 });
  t.deepEqual(
    rep?.inner?.icmp,
    { version: 4, type: 0, code: 0, name: 'echo-reply', id: 0x51a5, seq: 1 },
    'after an 8-byte option',
  );
});

test('truncated tunnel frames and garbage never throw and decode as far as they go', (t) => {
  const { frames } = readPcap(fileURLToPath(new URL('../../../fixtures/pcap/vxlan.pcap', import.meta.url)));
  const f = frames[4]!;
  for (let cut = 0; cut <= f.data.length; cut++) {
    const p = decodeFrame({ ...f, caplen: cut, data: f.data.subarray(0, cut) });
    if (cut < 14 + 20 + 8 + 8) t.is(p.inner, undefined, `cut ${cut}`);
    else t.deepEqual(p.tunnel, { kind: 'vxlan', vni: 42 }, `cut ${cut}`);
    if (cut >= 14 + 20 + 8 + 8 + 14 + 20 + 8) t.is(p.inner?.icmp?.seq, 1, `cut ${cut}`);
  }
  const notVxlan = Buffer.from(f.data);
  notVxlan[14 + 20 + 8] = 0; // the I flag cleared: no valid VNI
  t.is(decodeFrame({ ...f, data: notVxlan }).tunnel, undefined);
});

test('IPv4 and IPv6 fragments: which one, its offset, and DF', (t) => {
  const ps = pcap('frag.pcap');
  const v4 = ps.slice(2, 5);
  t.deepEqual(
    v4.map((p) => p.frag),
    [
      { df: false, more: true, offset: 0 },
      { df: false, more: true, offset: 1480 },
      { df: false, more: false, offset: 2960 },
    ],
  );
  t.deepEqual(
    v4.map((p) => p.ip?.len),
    [1500, 1500, 68],
  );
  t.is(v4[0]?.icmp?.name, 'echo-request', 'the first fragment holds the ICMP header');
  t.is(v4[1]?.icmp, undefined);
  const v6 = ps.slice(8, 11);
  t.deepEqual(
    v6.map((p) => p.frag),
    [
      { df: false, more: true, offset: 0 },
      { df: false, more: true, offset: 1448 },
      { df: false, more: false, offset: 2896 },
    ],
  );
  t.deepEqual(
    v6.map((p) => p.ip?.len),
    [40 + 1456, 40 + 1456, 40 + 120],
  );
  t.is(ps[0]?.frag, undefined, 'an IPv6 packet without a fragment header has none');
  t.deepEqual(
    v4.map((p) => matchPacket(ip({ fragment: 'first' }), p).length === 0),
    [true, false, false],
  );
  t.deepEqual(
    v4.map((p) => matchPacket(ip({ fragment: 'middle' }), p).length === 0),
    [false, true, false],
  );
  t.deepEqual(
    v6.map((p) => matchPacket(ip({ fragment: 'last', fragOffset: 2896 }), p).length === 0),
    [false, false, true],
  );
  t.deepEqual(matchPacket(ip({ len: 1500 }), v4[2]!), [{ field: 'len', expected: '1500', seen: '68' }]);
  t.deepEqual(matchPacket(ip({ len: 120 }), v6[2]!), [], 'IPv6: the payload length');
  t.deepEqual(
    matchPacket(ip({ fragment: 'first' }), pcap('vxlan.pcap')[4]!),
    [{ field: 'fragment', expected: 'first', seen: '-' }],
    'not a fragment',
  );
});

test('fragmentation needed and packet too big, with their MTU', (t) => {
  const [big, need, big6, tooBig] = pcap('too-big.pcap');
  t.deepEqual(big?.frag, { df: true, more: false, offset: 0 });
  t.is(big?.ip?.len, 1500);
  t.deepEqual(need?.icmp, { version: 4, type: 3, code: 4, name: 'dest-unreachable', mtu: 1400 });
  t.deepEqual(tooBig?.icmp, { version: 6, type: 2, code: 0, name: 'packet-too-big', mtu: 1400 });
  t.deepEqual(matchPacket(icmp.fragNeeded({ mtu: 1400 }), need!), []);
  t.deepEqual(matchPacket(icmp.fragNeeded({ mtu: 1450 }), need!), [{ field: 'mtu', expected: '1450', seen: '1400' }]);
  t.deepEqual(matchPacket(icmp6.packetTooBig({ mtu: 1400 }), tooBig!), []);
  t.deepEqual(matchPacket(icmp.echoRequest({ df: true, len: 1500 }), big!), []);
  t.deepEqual(matchPacket(icmp6.echoRequest({ len: 1460 }), big6!), []);
  t.is(matchPacket(icmp.echoRequest({ df: false }), big!)[0]?.field, 'df');
  t.is(formatMatcher(icmp.fragNeeded({ mtu: 1450 })), 'ICMP fragmentation-needed mtu=1450');
});

test('a tunnel matcher: outer, VNI and inner fields; near misses name the one that differs', (t) => {
  const ps = pcap('vxlan.pcap');
  const m = udp.to(4789).vxlan({ vni: 42 }).inner(icmp.echoRequest.from('10.42.0.1'));
  t.is(formatMatcher(m), 'UDP dport=4789 VXLAN vni=42 carrying ICMP echo-request src=10.42.0.1');
  t.deepEqual(
    ps.map((p) => matchPacket(m, p).length === 0),
    [false, false, false, false, true, false, true, false],
  );
  t.deepEqual(matchPacket(udp.to(4789).vxlan({ vni: 43 }), ps[4]!), [{ field: 'vni', expected: '43', seen: '42' }]);
  t.deepEqual(matchPacket(udp.to(4789).vxlan().inner(icmp.echoRequest.from('10.42.0.9')), ps[4]!), [
    { field: 'inner.src', expected: '10.42.0.9', seen: '10.42.0.1' },
  ]);
  t.deepEqual(matchPacket(udp.vxlan(), decodeFrame({ tsUs: 1, caplen: 0, len: 0, data: Buffer.alloc(0) })), [
    { field: 'proto', expected: 'udp', seen: 'other' },
  ]);
  t.deepEqual(validateMatcher(udp.vxlan({ vni: 1 << 24 })), ['tunnel.vni: 16777216 must be 0..16777215']);
  t.deepEqual(validateMatcher(udp.vxlan().inner(ip({ fragment: 'fourth' as 'first' }))), [
    `carries.fields.fragment: "fourth" must be 'first', 'middle' or 'last'`,
  ]);
  t.deepEqual(
    JSON.parse(JSON.stringify(m)),
    {
      proto: 'udp',
      label: 'UDP',
      fields: { dport: 4789 },
      tunnel: { kind: 'vxlan', vni: 42 },
      carries: { proto: 'icmp', label: 'ICMP echo-request', fields: { src: '10.42.0.1', icmpType: 'echo-request' } },
    },
    'plain data',
  );
});

test('a VNI that differs fails naming it: vni: expected 42, seen 43', (t) => {
  const ps = pcap('vxlan.pcap').map((p) => (p.tunnel ? { ...p, tunnel: { ...p.tunnel, vni: 43 } } : p));
  const check = observe(['m1:eth0']).expect('m1:eth0', udp.to(4789).vxlan({ vni: 42 }).inner(icmp.echoReply));
  const r = evaluateCheck(check, new Map([['m1:eth0', seen(ps)]]), []);
  t.false(r.pass);
  const lines = formatCheckReport(r);
  t.true(lines.includes('         vni: expected 42, seen 43'), lines.join('\n'));
});

test('a must-not-see looks inside tunnels, naming the encapsulated packets; outerOnly opts out', (t) => {
  const ps = pcap('vxlan.pcap');
  const inside = evaluateCheck(
    observe(['m1:eth0']).expectNone('m1:eth0', icmp.echoRequest),
    new Map([['m1:eth0', seen(ps)]]),
    [],
  );
  t.false(inside.pass);
  const x = inside.expectations[0]!;
  t.is(x.matched, 2);
  t.regex(x.message, /seen 2 ICMP echo-request at m1:eth0 \(2 inside a tunnel: .*outerOnly/);
  t.deepEqual(
    x.nearMisses.map((n) => n.flow),
    [
      'encapsulated: 192.0.2.1:57406 -> 192.0.2.2:4789 UDP len=106 ttl=64 VXLAN vni=42 [10.42.0.1 -> 10.42.0.2 ICMP echo-request id=0x51a5 seq=1 ttl=64]',
      'encapsulated: 192.0.2.1:57406 -> 192.0.2.2:4789 UDP len=106 ttl=64 VXLAN vni=42 [10.42.0.1 -> 10.42.0.2 ICMP echo-request id=0x51a5 seq=2 ttl=64]',
    ],
  );
  const outer = evaluateCheck(
    observe(['m1:eth0']).expectNone('m1:eth0', icmp.echoRequest, { outerOnly: true }),
    new Map([['m1:eth0', seen(ps)]]),
    [],
  );
  t.true(outer.pass, outer.expectations[0]?.message);
  t.is(outer.expectations[0]?.message, 'no ICMP echo-request at m1:eth0 (outer packets only), as expected');
  const arpSeen = evaluateCheck(
    observe(['m1:eth0']).expect(
      'm1:eth0',
      udp
        .to(4789)
        .vxlan({ vni: 42 })
        .inner(arp.request({ dst: '10.42.0.2' })),
    ),
    new Map([['m1:eth0', seen(ps)]]),
    [],
  );
  t.true(arpSeen.pass);
});

test('a tunnel flow pairs both directions by endpoints and VNI, not source ports', (t) => {
  const ps = pcap('vxlan.pcap');
  const flows = assembleFlows(ps);
  t.is(flows.length, 1);
  t.deepEqual(flows.map(formatFlow), [
    '192.0.2.1 -> 192.0.2.2:4789 UDP VXLAN vni=42 carrying ip-proto-2 + who-has + echo-request x2 ttl=64, ip-proto-2 + is-at + echo-reply x2 ttl=64',
  ]);
  const other = ps.map((p) =>
    p.udp && p.ip?.src === '192.0.2.2' ? { ...p, udp: { ...p.udp, sport: p.udp.sport + 1 } } : p,
  );
  t.is(assembleFlows(other).length, 1, "each side's own source port does not split the flow");
  const twoVnis = ps.map((p, i) => (p.tunnel && i % 2 ? { ...p, tunnel: { ...p.tunnel, vni: 43 } } : p));
  t.is(assembleFlows(twoVnis).length, 2, 'another VNI is another flow');
});

test('payload near misses print bytes that are not text escaped', (t) => {
  t.is(safeText('GET /\r\n\x08\x00\x00\x00\x00\x00*\x00'), 'GET /\\r\\n\\x08\\x00\\x00\\x00\\x00\\x00*\\x00');
  const ps = pcap('vxlan.pcap');
  const r = evaluateCheck(
    observe(['m1:eth0']).expect('m1:eth0', udp({ dport: 4789, payload: 'hello' })),
    new Map([['m1:eth0', seen(ps)]]),
    [],
  );
  const lines = formatCheckReport(r).join('\n');
  t.regex(lines, /payload: expected hello, seen \\x08\\x00\\x00\\x00\\x00\\x00\*\\x00/);
  t.false(/[\x00-\x08\x0e-\x1f\x7f-\xff]/.test(lines), 'no raw control or high bytes reach the terminal');
});

test('ping sizes: -s, -M do, -p for IPv4 and IPv6, validated', (t) => {
  t.deepEqual(probeCommand(ping('c1', '10.42.0.2', { size: 1472, df: true, count: 2, pattern: 'deadbeef' })).argv, [
    'ping',
    '-n',
    '-q',
    '-c',
    '2',
    '-i',
    '0.005',
    '-W',
    '1',
    '-s',
    '1472',
    '-M',
    'do',
    '-p',
    'deadbeef',
    '10.42.0.2',
  ]);
  t.deepEqual(probeCommand(ping('c1', '2001:db8::2', { size: 1452, df: true, expectFail: true })).argv, [
    'ping',
    '-6',
    '-n',
    '-q',
    '-c',
    '3',
    '-i',
    '0.005',
    '-W',
    '0.1',
    '-s',
    '1452',
    '-M',
    'do',
    '2001:db8::2',
  ]);
});
