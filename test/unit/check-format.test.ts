// Report lines: tshark-like flows, matchers without repetition, the failing field under its flow.
import test from 'ava';
import { assembleFlows } from '../../src/capture/flows.js';
import { evaluateCheck } from '../../src/check/evaluate.js';
import {
  formatCheckReport,
  formatExpectation,
  formatFlow,
  formatMatcher,
  formatRewrites,
} from '../../src/check/format.js';
import { arp, icmp, tcp } from '../../src/model/matchers.js';
import { arpPkt, echo, ns6, seg } from '../helpers/packets.js';

test('ICMP flows with and without replies', (t) => {
  const req = [1, 2, 3].map(() => echo('request', '172.17.0.100', '203.0.113.8', 63));
  t.deepEqual(assembleFlows(req).map(formatFlow), [
    '172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=63 x3, no reply',
  ]);
  const both = [echo('request', '10.0.2.15', '203.0.113.8', 63), echo('reply', '203.0.113.8', '10.0.2.15', 64)];
  t.deepEqual(assembleFlows(both).map(formatFlow), [
    '10.0.2.15 -> 203.0.113.8 ICMP echo-request ttl=63 x1, echo-reply ttl=64 x1',
  ]);
});

test('an IPv6 flow says hlim=, as its header does, not ttl=', (t) => {
  const req = [echo('request', 'fd00:0:0:3::1', '2001:db8:8::8', 63)].map((p) => ({
    ...p,
    proto: 'icmp6' as const,
    ip: { ...p.ip!, version: 6 as const, proto: 58 },
    icmp: { ...p.icmp!, version: 6 as const, type: 128 },
  }));
  t.deepEqual(assembleFlows(req).map(formatFlow), [
    'fd00:0:0:3::1 -> 2001:db8:8::8 ICMPv6 echo-request hlim=63 x1, no reply',
  ]);
});

test('a TCP connection refused, and ARP', (t) => {
  const rst = [seg('10.0.2.2', 40512, '10.0.2.15', 8080, 'SYN'), seg('10.0.2.15', 8080, '10.0.2.2', 40512, 'RST,ACK')];
  t.deepEqual(assembleFlows(rst).map(formatFlow), [
    '10.0.2.2:40512 -> 10.0.2.15:8080 TCP SYN ttl=64 x1, RST,ACK ttl=64 x1',
  ]);
  const a = [arpPkt('request', '172.17.0.100', '172.17.0.1'), arpPkt('reply', '172.17.0.1', '172.17.0.100')];
  t.deepEqual(assembleFlows(a).map(formatFlow), ['ARP who-has 172.17.0.1 tell 172.17.0.100, is-at']);
});

test('matchers and expectations print what they require, once', (t) => {
  t.is(formatMatcher(icmp.echoRequest({ src: '10.0.2.15', ttl: 63 })), 'ICMP echo-request src=10.0.2.15 ttl=63');
  t.is(formatMatcher(tcp.synAck({ sport: 80 })), 'TCP SYN,ACK sport=80');
  t.is(formatMatcher(arp.request({ dst: '172.17.0.1' })), 'ARP request dst=172.17.0.1');
  t.is(
    formatExpectation({ kind: 'expect', point: 'host:eth0', matcher: icmp.echoReply(), count: { min: 3 } }),
    'expect ICMP echo-reply at host:eth0 (>=3)',
  );
  t.is(
    formatExpectation({ kind: 'expect-none', point: 'host:br0', matcher: icmp.echoReply() }),
    'expect none ICMP echo-reply at host:br0',
  );
});

test('a failing report shows the verdict, the near miss with its field, and the flows; ND noise hidden', (t) => {
  const packets = [
    ...[1, 2, 3].map(() => echo('request', '172.17.0.100', '203.0.113.8', 63)),
    ns6('fe80::1', 'ff02::1:ff00:1'),
  ];
  const check = {
    points: ['host:eth0'],
    probes: [],
    expectations: [{ kind: 'expect' as const, point: 'host:eth0', matcher: icmp.echoRequest({ src: '10.0.2.15' }) }],
  };
  const r = evaluateCheck(
    check,
    new Map([['host:eth0', { packets, flows: assembleFlows(packets), ready: true, drops: 0, windowMs: 120 }]]),
    [],
  );
  t.deepEqual(formatCheckReport(r), [
    'FAIL expected ICMP echo-request src=10.0.2.15 at host:eth0: not seen (0 of >=1)',
    '       nearest: 172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=63 x3, no reply',
    '         src: expected 10.0.2.15, seen 172.17.0.100',
    '     flows at host:eth0 (4 packets in 120 ms, 1 ND/MLD/IGMP flow hidden):',
    '       172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=63 x3, no reply',
  ]);
  t.true(formatCheckReport(r, { verbose: true }).some((l) => l.includes('neighbor-solicitation')));
});

test('the same connection at two points with its destination rewritten is shown side by side', (t) => {
  const eth0 = [seg('10.0.2.2', 40512, '10.0.2.15', 8080, 'SYN'), seg('10.0.2.15', 8080, '10.0.2.2', 40512, 'SYN,ACK')];
  const br0 = [
    seg('10.0.2.2', 40512, '172.17.0.100', 80, 'SYN'),
    seg('172.17.0.100', 80, '10.0.2.2', 40512, 'SYN,ACK'),
  ];
  const point = (name: string, packets: typeof eth0) => ({
    point: name,
    ready: true,
    drops: 0,
    packets: packets.length,
    windowMs: 10,
    flows: assembleFlows(packets),
  });
  t.deepEqual(formatRewrites([point('host:eth0', eth0), point('host:br0', br0)]), [
    '     destination rewritten between host:eth0 and host:br0:',
    '       host:eth0  10.0.2.2:40512 -> 10.0.2.15:8080 TCP SYN ttl=64 x1, SYN,ACK ttl=64 x1',
    '       host:br0   10.0.2.2:40512 -> 172.17.0.100:80 TCP SYN ttl=64 x1, SYN,ACK ttl=64 x1',
  ]);
  t.deepEqual(
    formatRewrites([point('host:eth0', eth0), point('host:br0', eth0)]),
    [],
    'an unchanged flow is no rewrite',
  );
});
