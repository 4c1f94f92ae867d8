// The report's sequence diagram is a ladder: one arrow per packet in time order across the points, repeats
// folded with counts true to the packets, chatter folded out, an empty capture said.
import test from 'ava';
import { assembleFlows } from '../../src/capture/flows.js';
import type { Packet } from '../../src/capture/types.js';
import { evaluateCheck } from '../../src/check/evaluate.js';
import { icmp6, tcp } from '../../src/model/matchers.js';
import { foldRepeats, ladderOf } from '../../src/ui/report/ladder.js';
import { sequenceSvg } from '../../src/ui/report/html-report-sequence.js';
import { echo, igmp, na6, ns6, seg } from '../helpers/packets.js';

// A check over the given points' packets, with a SYN expectation at the first point.
function result(points: Record<string, Packet[]>) {
  const names = Object.keys(points);
  return evaluateCheck(
    { points: names, probes: [], expectations: [{ kind: 'expect', point: names[0]!, matcher: tcp.syn() }] },
    new Map(
      names.map((n) => [
        n,
        { packets: points[n]!, flows: assembleFlows(points[n]!), ready: true, drops: 0, windowMs: 10 },
      ]),
    ),
    [],
  );
}

const C = '10.0.2.2';
const S = '10.0.2.15';
// An HTTP exchange: handshake, GET, ACK, 200, ACK, and the two FINs with their ACKs (10 segments).
const http = (): Packet[] => [
  seg(C, 40512, S, 8080, 'SYN'),
  seg(S, 8080, C, 40512, 'SYN,ACK'),
  seg(C, 40512, S, 8080, 'ACK'),
  seg(C, 40512, S, 8080, 'PSH,ACK', { http: { method: 'GET', path: '/' } }),
  seg(S, 8080, C, 40512, 'ACK'),
  seg(S, 8080, C, 40512, 'PSH,ACK', { http: { status: 200 } }),
  seg(C, 40512, S, 8080, 'ACK'),
  seg(C, 40512, S, 8080, 'FIN,ACK'),
  seg(S, 8080, C, 40512, 'FIN,ACK'),
  seg(C, 40512, S, 8080, 'ACK'),
];

test('an HTTP exchange is one arrow per segment, the GET counted once, ports said when it starts', (t) => {
  const packets = [igmp('10.0.2.1'), ...http()];
  const lad = ladderOf(result({ 'host:eth0': packets }));
  t.deepEqual(
    lad.rows.map((r) => `${r.from} > ${r.to} ${r.label}`),
    [
      `${C} > ${S} SYN  40512 → 8080`,
      `${S} > ${C} SYN,ACK`,
      `${C} > ${S} ACK`,
      `${C} > ${S} PSH,ACK HTTP GET /`,
      `${S} > ${C} ACK`,
      `${S} > ${C} PSH,ACK HTTP 200`,
      `${C} > ${S} ACK`,
      `${C} > ${S} FIN,ACK`,
      `${S} > ${C} FIN,ACK`,
      `${C} > ${S} ACK`,
    ],
  );
  t.is(
    lad.rows.reduce((n, r) => n + r.packets, 0),
    10,
  );
  t.deepEqual(lad.lanes[0]?.lifelines, [C, S]);
  t.is(lad.lanes[0]?.folded, 1); // the IGMP report
  t.notRegex(sequenceSvg(result({ 'host:eth0': packets })), /224\.0\.0\.22|ip-proto-2/);
});

test('a ping across two points folds into one block with its count, in time order across the points', (t) => {
  const inside: Packet[] = [];
  const outside: Packet[] = [];
  for (let i = 0; i < 3; i++) {
    inside.push(echo('request', '172.17.0.100', '203.0.113.8', 64));
    outside.push(echo('request', '10.0.2.15', '203.0.113.8', 63));
    outside.push(echo('reply', '203.0.113.8', '10.0.2.15', 64));
    inside.push(echo('reply', '203.0.113.8', '172.17.0.100', 63));
  }
  const lad = ladderOf(result({ 'host:br0': inside, 'host:eth0': outside }));
  t.deepEqual(
    lad.rows.map((r) => `${r.lane} ${r.label}`),
    ['0 echo-request ttl=64 ×3', '1 echo-request ttl=63 ×3', '1 echo-reply ttl=64 ×3', '0 echo-reply ttl=63 ×3'],
  );
});

test('repeats fold only when a block repeats back to back; every item is kept or counted', (t) => {
  const keys = ['a', 'b', 'a', 'b', 'a', 'b', 'c', 'c', 'd'];
  const out = foldRepeats(keys, keys);
  t.deepEqual(
    out.map((x) => `${x.item}${x.times}`),
    ['a3', 'b3', 'c2', 'd1'],
  );
  t.is(
    out.reduce((n, x) => n + x.times, 0),
    keys.length,
  );
});

test('an empty capture box says nothing was captured', (t) => {
  const svg = sequenceSvg(result({ 'host:eth0': http(), 'host:br0': [] }));
  t.regex(svg, /nothing captured/);
  t.is((svg.match(/class="arrow"/g) ?? []).length, 10);
});

test('a neighbour solicitation a matcher names is drawn to the address it asks for, and its advertisement back', (t) => {
  const ns = ns6('fe80::1', 'ff02::1:ff00:2');
  ns.icmp = { ...ns.icmp!, target: 'fe80::2' };
  const packets = [ns, na6('fe80::2', 'fe80::1')];
  const r = evaluateCheck(
    {
      points: ['host:br0'],
      probes: [],
      expectations: [{ kind: 'expect', point: 'host:br0', matcher: icmp6.neighborAdvertisement() }],
    },
    new Map([['host:br0', { packets, flows: assembleFlows(packets), ready: true, drops: 0, windowMs: 10 }]]),
    [],
  );
  const lad = ladderOf(r);
  t.deepEqual(
    lad.rows.map((x) => `${x.from} > ${x.to} ${x.label}`),
    ['fe80::1 > fe80::2 neighbor-solicitation hlim=255', 'fe80::2 > fe80::1 neighbor-advertisement hlim=255'],
  );
  t.deepEqual(lad.lanes[0]?.lifelines, ['fe80::1', 'fe80::2'], 'no lifeline for the multicast group');
});
