// The engine picks the hint from what was seen: the lab's hint for that failure, else the near-miss line.
import test from 'ava';
import { hint, icmp } from '../../src/lab.js';
import { pickHint } from '../../src/engine/hints.js';
import type { CheckResult, Expectation, ExpectationResult, NearMiss } from '../../src/check/types.js';

const request: Expectation = {
  kind: 'expect',
  point: 'host:eth0',
  matcher: { proto: 'icmp', fields: { src: '10.0.2.15', icmpType: 'echo-request' }, label: 'ICMP echo-request' },
  hints: [
    hint.notSeen('nothing reached eth0: is the host forwarding? (sysctl net.ipv4.ip_forward)'),
    hint.near('src', '172.17.0.100', 'requests leave eth0 with source 172.17.0.100 and no reply'),
  ],
};
const none: Expectation = { kind: 'expect-none', point: 'host:eth0', matcher: { proto: 'ip', fields: { src: '172.17.0.0/24' }, label: 'IP' }, hints: [hint.failed('a private source leaves eth0')] };

const xr = (e: Expectation, pass: boolean, matched: number, nearMisses: NearMiss[] = []): ExpectationResult => ({ expectation: e, pass, matched, message: `${e.kind} ${e.point}`, nearMisses });
const result = (expectations: ExpectationResult[]): CheckResult => ({ pass: expectations.every((x) => x.pass), expectations, looks: [], points: [], probes: [] });
const privateSource: NearMiss = { flow: '172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=63 x3, no reply', diffs: [{ field: 'src', expected: '10.0.2.15', seen: '172.17.0.100' }] };

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
  t.deepEqual(h && { text: h.text, from: h.from }, { text: 'src: expected 10.0.2.15, seen 172.17.0.100', from: 'near-miss' });
});

test('without hints or near misses the failure itself is said', (t) => {
  const bare: Expectation = { ...request, hints: [] };
  const h = pickHint(result([xr(bare, false, 0)]));
  t.is(h?.from, 'failure');
  t.is(h?.text, 'expect host:eth0');
});

test('a failed look says its hint', (t) => {
  const r: CheckResult = { pass: false, expectations: [], points: [], probes: [], looks: [{ look: { node: 'c', cmd: 'hostname', hints: [hint.failed('set the hostname')] }, pass: false, exitCode: 0, output: 'x', message: 'no match' }] };
  t.is(pickHint(r)?.text, 'set the hostname');
});

test('a capture point that could not be captured is the hint, not a lab hint about packets', (t) => {
  const e: Expectation = { kind: 'expect', point: 'host:lk-alpha', matcher: icmp.echoRequest(), hints: [{ when: 'failed', text: 'is MASQUERADE there?' }] };
  const r: CheckResult = {
    pass: false,
    expectations: [{ expectation: e, pass: false, matched: 0, message: 'expected ICMP echo-request at host:lk-alpha: cannot capture on host:lk-alpha: host has no interface lk-alpha', nearMisses: [] }],
    looks: [],
    probes: [],
    points: [{ point: 'host:lk-alpha', ready: false, error: 'cannot capture on host:lk-alpha: host has no interface lk-alpha', drops: 0, packets: 0, windowMs: 0, flows: [] }],
  };
  t.regex(pickHint(r)?.text ?? '', /host has no interface lk-alpha/);
});
