// The engine picks the hint from what was seen: the lab's hint for that failure, else the near-miss line.
import test from 'ava';
import { arp, hint, icmp } from '../../src/lab.js';
import { assembleFlows } from '../../src/capture/flows.js';
import { arpPkt, echo } from '../helpers/packets.js';
import { pickHint } from '../../src/check/hints.js';
import type { CheckResult, ExpectationResult, NearMiss } from '../../src/check/types.js';
import type { Expectation } from '../../src/model/check.js';
import type { Packet } from '../../src/capture/types.js';

const request: Expectation = {
  kind: 'expect',
  point: 'host:eth0',
  matcher: { proto: 'icmp', fields: { src: '10.0.2.15', icmpType: 'echo-request' }, label: 'ICMP echo-request' },
  hints: [
    hint.notSeen('nothing reached eth0: is the host forwarding? (sysctl net.ipv4.ip_forward)'),
    hint.near('src', '172.17.0.100', 'requests leave eth0 with source 172.17.0.100 and no reply'),
  ],
};
const none: Expectation = {
  kind: 'expect-none',
  point: 'host:eth0',
  matcher: { proto: 'ip', fields: { src: '172.17.0.0/24' }, label: 'IP' },
  hints: [hint.failed('a private source leaves eth0')],
};

const xr = (e: Expectation, pass: boolean, matched: number, nearMisses: NearMiss[] = []): ExpectationResult => ({
  expectation: e,
  pass,
  matched,
  message: `${e.kind} ${e.point}`,
  nearMisses,
});
const result = (expectations: ExpectationResult[]): CheckResult => ({
  pass: expectations.every((x) => x.pass),
  expectations,
  looks: [],
  points: [],
  probes: [],
});
const privateSource: NearMiss = {
  flow: '172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=63 x3, no reply',
  diffs: [{ field: 'src', expected: '10.0.2.15', seen: '172.17.0.100' }],
};

test('a passing check has no hint', (t) => {
  t.is(pickHint(result([xr(request, true, 3)])), undefined);
});

test('nothing seen picks the not-seen hint (ip_forward left at 0)', (t) => {
  const h = pickHint(result([xr(request, false, 0), xr(none, true, 0)]));
  t.is(h?.from, 'lab');
  t.regex(h?.text ?? '', /ip_forward/);
});

test('a near miss with the private source picks that hint over a plain failure of a later expectation', (t) => {
  const h = pickHint(result([xr(request, false, 0, [privateSource]), xr(none, false, 3)]));
  t.is(h?.text, 'requests leave eth0 with source 172.17.0.100 and no reply');
});

test('a near miss with another value falls back to a fitting generic hint', (t) => {
  const other: NearMiss = { flow: 'x', diffs: [{ field: 'src', expected: '10.0.2.15', seen: '192.0.2.9' }] };
  const h = pickHint(result([xr(request, false, 0, [other]), xr(none, false, 1)]));
  t.is(h?.text, 'a private source leaves eth0');
});

test('without declared hints the near-miss line is the hint', (t) => {
  const bare: Expectation = { ...request, hints: [] };
  const h = pickHint(result([xr(bare, false, 0, [privateSource])]));
  t.deepEqual(h && { text: h.text, from: h.from }, {
    text: 'src: expected 10.0.2.15, seen 172.17.0.100',
    from: 'near-miss',
  });
});

test('without hints or near misses the failure itself is said', (t) => {
  const bare: Expectation = { ...request, hints: [] };
  const h = pickHint(result([xr(bare, false, 0)]));
  t.is(h?.from, 'failure');
  t.is(h?.text, 'expect host:eth0');
});

test('a failed look says its hint', (t) => {
  const r: CheckResult = {
    pass: false,
    expectations: [],
    points: [],
    probes: [],
    looks: [
      {
        look: { node: 'c', cmd: 'hostname', hints: [hint.failed('set the hostname')] },
        pass: false,
        exitCode: 0,
        output: 'x',
        message: 'no match',
      },
    ],
  };
  t.is(pickHint(r)?.text, 'set the hostname');
});

test('a capture point that could not be captured is the hint, not a lab hint about packets', (t) => {
  const e: Expectation = {
    kind: 'expect',
    point: 'host:lk-alpha',
    matcher: icmp.echoRequest(),
    hints: [{ when: 'failed', text: 'is MASQUERADE there?' }],
  };
  const r: CheckResult = {
    pass: false,
    expectations: [
      {
        expectation: e,
        pass: false,
        matched: 0,
        message:
          'expected ICMP echo-request at host:lk-alpha: cannot capture on host:lk-alpha: host has no interface lk-alpha',
        nearMisses: [],
      },
    ],
    looks: [],
    probes: [],
    points: [
      {
        point: 'host:lk-alpha',
        ready: false,
        error: 'cannot capture on host:lk-alpha: host has no interface lk-alpha',
        drops: 0,
        packets: 0,
        windowMs: 0,
        flows: [],
      },
    ],
  };
  t.regex(pickHint(r)?.text ?? '', /host has no interface lk-alpha/);
});

// Lab 02's veth check after the container had pinged its gateway: no ARP on veth1, the echo requests there.
const arpRequest: Expectation = {
  kind: 'expect',
  point: 'host:veth1',
  matcher: arp.request({ src: '172.17.0.100', dst: '172.17.0.1' }),
  hints: [hint.notSeen('nothing reached veth1: are both ends up?')],
};
const echoes: Expectation = {
  kind: 'expect',
  point: 'host:veth1',
  matcher: icmp.echoRequest({ src: '172.17.0.100', dst: '172.17.0.1' }),
  count: { min: 3 },
};
const veth1 = (packets: Packet[]) => ({
  point: 'host:veth1',
  ready: true,
  drops: 0,
  packets: packets.length,
  windowMs: 50,
  flows: assembleFlows(packets),
});

test('an ARP request missing where the echo requests passed says the neighbour entry may be cached, not that nothing arrived', (t) => {
  const packets = [1, 2, 3].flatMap(() => [
    echo('request', '172.17.0.100', '172.17.0.1'),
    echo('reply', '172.17.0.1', '172.17.0.100'),
  ]);
  const r: CheckResult = {
    pass: false,
    expectations: [xr(arpRequest, false, 0), xr(echoes, true, 3)],
    looks: [],
    probes: [],
    points: [veth1(packets)],
  };
  const h = pickHint(r);
  t.is(h?.from, 'observed');
  t.regex(h?.text ?? '', /172\.17\.0\.100's echo-request passed there/);
  t.regex(h?.text ?? '', /neighbour entry for 172\.17\.0\.1 may be cached/);
  t.notRegex(h?.text ?? '', /nothing reached/);
});

test("an ARP request missing with nothing from its sender keeps the lab's not-seen hint", (t) => {
  const r: CheckResult = {
    pass: false,
    expectations: [xr(arpRequest, false, 0), xr(echoes, false, 0)],
    looks: [],
    probes: [],
    points: [veth1([arpPkt('request', '172.17.0.1', '172.17.0.9')])],
  };
  t.is(pickHint(r)?.text, 'nothing reached veth1: are both ends up?');
});

test("a look's hint keyed by what it read beats its plain hint; without a match the plain one is said", (t) => {
  const look = {
    node: 'host',
    cmd: 'sysctl net.ipv4.ip_forward',
    match: { source: '= 1$', flags: '' },
    hints: [
      hint.failed('the host must forward'),
      hint.read(/= 0$/, 'forwarding is off: sysctl -w net.ipv4.ip_forward=1'),
    ],
  };
  const failed = (output: string): CheckResult => ({
    pass: false,
    expectations: [],
    points: [],
    probes: [],
    looks: [{ look, pass: false, exitCode: 0, output, message: 'no match' }],
  });
  t.is(pickHint(failed('net.ipv4.ip_forward = 0\n'))?.text, 'forwarding is off: sysctl -w net.ipv4.ip_forward=1');
  t.is(pickHint(failed('sysctl: cannot stat /proc/sys/net/ipv4/ip_forward\n'))?.text, 'the host must forward');
});
