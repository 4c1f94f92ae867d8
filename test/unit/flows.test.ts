import test from 'ava';
import { fileURLToPath } from 'node:url';
import { decodeFrame } from '../../src/capture/decode.js';
import { assembleFlows, FlowTable } from '../../src/capture/flows.js';
import { readPcap } from '../../src/capture/pcap-file.js';
import type { Packet } from '../../src/capture/types.js';

function packets(name: string): Packet[] {
  const { linktype, frames } = readPcap(fileURLToPath(new URL(`../../../fixtures/pcap/${name}`, import.meta.url)));
  return frames.map((f) => decodeFrame(f, linktype));
}

test('ARP and ICMP echo through a router become two flows', (t) => {
  const flows = assembleFlows(packets('icmp-echo.pcap'));
  t.is(flows.length, 2);
  const [arp, echo] = flows;
  t.deepEqual(arp, {
    key: 'arp 172.17.0.100 <-> 172.17.0.1',
    proto: 'arp',
    a: { addr: '172.17.0.100' },
    b: { addr: '172.17.0.1' },
    fwd: { packets: 1, bytes: 42, ttls: [], kinds: ['who-has'], kindCounts: { 'who-has': 1 } },
    rev: { packets: 1, bytes: 42, ttls: [], kinds: ['is-at'], kindCounts: { 'is-at': 1 } },
    firstUs: 1795562950426255,
    lastUs: 1795562950426284,
  });
  t.is(echo?.key, 'icmp 172.17.0.100 <-> 203.0.113.8 id=0x146e');
  t.is(echo?.proto, 'icmp');
  t.deepEqual(echo?.a, { addr: '172.17.0.100' });
  t.deepEqual(echo?.b, { addr: '203.0.113.8' });
  t.deepEqual(echo?.fwd, {
    packets: 3,
    bytes: 294,
    ttls: [64],
    kinds: ['echo-request'],
    kindCounts: { 'echo-request': 3 },
  });
  t.deepEqual(echo?.rev, {
    packets: 3,
    bytes: 294,
    ttls: [63],
    kinds: ['echo-reply'],
    kindCounts: { 'echo-reply': 3 },
  });
  t.is(echo?.firstUs, 1795562950426287);
  t.is(echo?.lastUs, 1795562950830591);
});

test('SYN answered by RST,ACK is one TCP flow', (t) => {
  const flows = assembleFlows(packets('tcp-rst.pcap'));
  t.is(flows.length, 1);
  const f = flows[0]!;
  t.is(f.key, 'tcp 10.0.2.2:56920 <-> 10.0.2.15:9');
  t.deepEqual(f.a, { addr: '10.0.2.2', port: 56920 });
  t.deepEqual(f.b, { addr: '10.0.2.15', port: 9 });
  t.deepEqual(f.fwd.kinds, ['SYN']);
  t.deepEqual(f.rev.kinds, ['RST,ACK']);
  t.is(f.rev.bytes, 54);
});

test('HTTP exchange: flag kinds and HTTP kinds per direction', (t) => {
  const flows = assembleFlows(packets('http.pcap'));
  t.is(flows.length, 1);
  const f = flows[0]!;
  t.deepEqual(f.a, { addr: '10.0.2.2', port: 54486 });
  t.deepEqual(f.fwd.kinds, ['SYN', 'ACK', 'PSH,ACK', 'HTTP GET /', 'FIN,ACK']);
  t.deepEqual(f.fwd.kindCounts, { SYN: 1, ACK: 4, 'PSH,ACK': 1, 'HTTP GET /': 1, 'FIN,ACK': 1 });
  t.deepEqual(f.rev.kinds, ['SYN,ACK', 'ACK', 'PSH,ACK', 'HTTP 200', 'FIN,ACK']);
  t.deepEqual(f.rev.kindCounts, { 'SYN,ACK': 1, ACK: 2, 'PSH,ACK': 2, 'HTTP 200': 1, 'FIN,ACK': 1 });
  t.is(f.fwd.packets, 7);
  t.is(f.rev.packets, 6);
  t.is(f.fwd.bytes + f.rev.bytes, 1390 - 24 - 13 * 16);
});

test('a capture that starts mid-conversation makes the first sender a', (t) => {
  const f = assembleFlows(packets('http.pcap').slice(1))[0]!;
  t.deepEqual(f.a, { addr: '10.0.2.15', port: 8080 });
  t.deepEqual(f.fwd.kinds, ['SYN,ACK', 'ACK', 'PSH,ACK', 'HTTP 200', 'FIN,ACK']);
  t.deepEqual(f.rev.kinds, ['ACK', 'PSH,ACK', 'HTTP GET /', 'FIN,ACK']);
});

test('UDP request/response datagrams share a flow', (t) => {
  const flows = assembleFlows(packets('udp.pcap'));
  t.is(flows.length, 1);
  const f = flows[0]!;
  t.is(f.proto, 'udp');
  t.deepEqual(f.fwd, { packets: 3, bytes: 144, ttls: [64], kinds: ['udp'], kindCounts: { udp: 3 } });
  t.deepEqual(f.rev, { packets: 3, bytes: 159, ttls: [64], kinds: ['udp'], kindCounts: { udp: 3 } });
});

test('ICMPv6: echo by id, other messages by (src, dst, type), in order of first packet', (t) => {
  const flows = assembleFlows(packets('icmpv6.pcap'));
  t.deepEqual(
    flows.map((f) => f.key),
    [
      'icmp6 :: -> ff02::16 mldv2-report',
      'icmp6 :: -> ff02::1:ff00:6b02 neighbor-solicitation',
      'icmp6 :: -> ff02::1:ff00:6a01 neighbor-solicitation',
      'icmp6 2001:db8::a -> ff02::1:ff00:b neighbor-solicitation',
      'icmp6 2001:db8::b -> 2001:db8::a neighbor-advertisement',
      'icmp6 2001:db8::a <-> 2001:db8::b id=0x1532',
      'icmp6 fe80::ff:fe00:6b02 -> ff02::16 mldv2-report',
      'icmp6 fe80::ff:fe00:6b02 -> ff02::2 router-solicitation',
      'icmp6 fe80::ff:fe00:6a01 -> ff02::16 mldv2-report',
      'icmp6 fe80::ff:fe00:6a01 -> ff02::2 router-solicitation',
    ],
  );
  t.is(flows[0]?.fwd.packets, 4);
  t.is(flows[0]?.rev.packets, 0);
  const echo = flows[5]!;
  t.deepEqual(echo.fwd.kindCounts, { 'echo-request': 3 });
  t.deepEqual(echo.rev.kindCounts, { 'echo-reply': 3 });
  t.deepEqual(echo.fwd.ttls, [64]);
  t.deepEqual(flows[3]?.fwd.ttls, [255]);
  const firsts = flows.map((f) => f.firstUs);
  t.deepEqual(
    firsts,
    [...firsts].sort((x, y) => x - y),
  );
});

test('loopback echo (same address both ways) still splits request and reply', (t) => {
  for (const name of ['sll.pcap', 'sll2.pcap']) {
    const flows = assembleFlows(packets(name));
    t.is(flows.length, 1);
    t.deepEqual(flows[0]?.fwd.kinds, ['echo-request'], name);
    t.deepEqual(flows[0]?.rev.kinds, ['echo-reply'], name);
  }
});

test('FlowTable fed one packet at a time matches assembleFlows', (t) => {
  const ps = [...packets('icmp-echo.pcap'), ...packets('http.pcap'), ...packets('udp.pcap')];
  const table = new FlowTable();
  for (const p of ps) table.add(p);
  const flows = table.flows();
  t.deepEqual(flows, assembleFlows(ps));
  t.deepEqual(
    flows.map((f) => f.proto),
    ['arp', 'icmp', 'tcp', 'udp'],
  );
});

function icmp(src: string, dst: string, type: number, name: string, id?: number): Packet {
  return {
    tsUs: 1,
    caplen: 98,
    len: 98,
    proto: 'icmp',
    ip: { version: 4, src, dst, ttl: 64, proto: 1, len: 84 },
    icmp: id === undefined ? { version: 4, type, code: 0, name } : { version: 4, type, code: 0, name, id, seq: 1 },
  };
}

test('flow keys separate echo ids, ICMP error types, ports and protocols', (t) => {
  const ps: Packet[] = [
    icmp('10.0.0.1', '10.0.0.2', 8, 'echo-request', 1),
    icmp('10.0.0.1', '10.0.0.2', 8, 'echo-request', 2),
    icmp('10.0.0.2', '10.0.0.1', 0, 'echo-reply', 2),
    icmp('10.0.0.9', '10.0.0.1', 3, 'dest-unreachable'),
    icmp('10.0.0.9', '10.0.0.1', 3, 'dest-unreachable'),
    icmp('10.0.0.9', '10.0.0.1', 11, 'time-exceeded'),
    icmp('10.0.0.1', '10.0.0.9', 3, 'dest-unreachable'),
  ];
  const udp = (sport: number, dport: number, src = '10.0.0.1', dst = '10.0.0.2'): Packet => ({
    tsUs: 2,
    caplen: 60,
    len: 60,
    proto: 'udp',
    ip: { version: 4, src, dst, ttl: 64, proto: 17, len: 46 },
    udp: { sport, dport, payloadLen: 18 },
  });
  ps.push(udp(1000, 53), udp(53, 1000, '10.0.0.2', '10.0.0.1'), udp(1001, 53), udp(53, 1000));
  ps.push({
    ...udp(1000, 53),
    proto: 'tcp',
    udp: undefined,
    tcp: { sport: 1000, dport: 53, flags: 'SYN', seq: 1, ack: 0, payloadLen: 0 },
  });
  const flows = assembleFlows(ps);
  t.deepEqual(
    flows.map((f) => [f.key, f.fwd.packets, f.rev.packets]),
    [
      ['icmp 10.0.0.1 <-> 10.0.0.2 id=0x0001', 1, 0],
      ['icmp 10.0.0.1 <-> 10.0.0.2 id=0x0002', 1, 1],
      ['icmp 10.0.0.9 -> 10.0.0.1 dest-unreachable', 2, 0],
      ['icmp 10.0.0.9 -> 10.0.0.1 time-exceeded', 1, 0],
      ['icmp 10.0.0.1 -> 10.0.0.9 dest-unreachable', 1, 0],
      ['udp 10.0.0.1:1000 <-> 10.0.0.2:53', 1, 1],
      ['udp 10.0.0.1:1001 <-> 10.0.0.2:53', 1, 0],
      ['udp 10.0.0.1:53 <-> 10.0.0.2:1000', 1, 0],
      ['tcp 10.0.0.1:1000 <-> 10.0.0.2:53', 1, 0],
    ],
  );
});

test('distinct TTLs are kept in order of first appearance', (t) => {
  const ps = [64, 63, 64, 1, 63].map((ttl) => {
    const p = icmp('10.0.0.1', '10.0.0.2', 8, 'echo-request', 7);
    p.ip!.ttl = ttl;
    return p;
  });
  t.deepEqual(assembleFlows(ps)[0]?.fwd.ttls, [64, 63, 1]);
});

test('frames without addresses are left out', (t) => {
  t.deepEqual(assembleFlows([{ tsUs: 1, caplen: 5, len: 5, proto: 'other' }]), []);
});

test('a DNS exchange: each direction lists its questions and answers by name', (t) => {
  const flows = assembleFlows(packets('dns.pcap'));
  t.deepEqual(
    flows.map((f) => [f.key, f.fwd.kinds, f.rev.kinds]),
    [
      [
        'udp 172.17.0.100:51957 <-> 203.0.113.8:53',
        ['udp', 'DNS AAAA? www.example.com'],
        ['udp', 'DNS AAAA www.example.com no record'],
      ],
      [
        'udp 172.17.0.100:45763 <-> 203.0.113.8:53',
        ['udp', 'DNS A? www.example.com'],
        ['udp', 'DNS A www.example.com 203.0.113.80'],
      ],
    ],
  );
});
