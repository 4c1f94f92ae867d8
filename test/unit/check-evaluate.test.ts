// Verdicts: counts, negative checks that cannot pass vacuously, near misses that name the field.
import test from 'ava';
import { assembleFlows } from '../../src/capture/flows.js';
import type { Packet } from '../../src/capture/types.js';
import { evaluateCheck, evaluateExpectation, type ObservationInput } from '../../src/check/evaluate.js';
import { icmp, ip } from '../../src/model/matchers.js';
import type { Expectation } from '../../src/model/check.js';
import { echo } from '../helpers/packets.js';

const seen = (packets: Packet[], extra: Partial<ObservationInput> = {}): ObservationInput => ({
  packets,
  flows: assembleFlows(packets),
  ready: true,
  drops: 0,
  ...extra,
});
const expect = (matcher: Expectation['matcher'], count?: Expectation['count']): Expectation => ({
  kind: 'expect',
  point: 'host:eth0',
  matcher,
  ...(count ? { count } : {}),
});
const none = (matcher: Expectation['matcher']): Expectation => ({ kind: 'expect-none', point: 'host:eth0', matcher });
const forwarded = [1, 2, 3].map(() => echo('request', '172.17.0.100', '203.0.113.8', 63));

test('expect passes at min and fails below it, with a message naming point and matcher', (t) => {
  t.true(evaluateExpectation(expect(icmp.echoRequest({ ttl: 63 }), { min: 3 }), seen(forwarded)).pass);
  const r = evaluateExpectation(expect(icmp.echoRequest({ ttl: 63 }), { min: 4 }), seen(forwarded));
  t.false(r.pass);
  t.is(r.matched, 3);
  t.is(r.message, 'expected ICMP echo-request ttl=63 at host:eth0: seen 3, wanted >=4');
  t.false(evaluateExpectation(expect(icmp.echoRequest(), { min: 1, max: 2 }), seen(forwarded)).pass);
});

test('a missing source rewrite is reported as a near miss on src', (t) => {
  const r = evaluateExpectation(expect(icmp.echoRequest({ src: '10.0.2.15', ttl: 63 })), seen(forwarded));
  t.false(r.pass);
  t.is(r.message, 'expected ICMP echo-request src=10.0.2.15 ttl=63 at host:eth0: not seen (0 of >=1)');
  t.deepEqual(r.nearMisses, [
    {
      flow: '172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=63 x3, no reply',
      diffs: [{ field: 'src', expected: '10.0.2.15', seen: '172.17.0.100' }],
    },
  ]);
});

test('another kind of packet is no near miss (a request is not a late reply)', (t) => {
  const r = evaluateExpectation(expect(icmp.echoReply({ dst: '10.0.2.15' })), seen(forwarded));
  t.false(r.pass);
  t.deepEqual(r.nearMisses, []);
});

test('expect-none passes only when the capture was ready, complete and clean', (t) => {
  t.true(evaluateExpectation(none(icmp.echoReply()), seen(forwarded)).pass);
  const notReady = evaluateExpectation(none(icmp.echoReply()), seen([], { ready: false }));
  t.false(notReady.pass);
  t.regex(notReady.message, /cannot prove no ICMP echo-reply at host:eth0: the capture was not ready/);
  t.false(evaluateExpectation(none(icmp.echoReply()), seen([], { drops: 2 })).pass);
  t.false(
    evaluateExpectation(
      none(icmp.echoReply()),
      seen([], { error: 'cannot capture on host:eth0: No such device exists' }),
    ).pass,
  );
});

test('expect-none lists the offending flows', (t) => {
  const r = evaluateExpectation(none(ip({ src: '172.17.0.0/24' })), seen(forwarded));
  t.false(r.pass);
  t.is(r.message, 'seen 3 IP src=172.17.0.0/24 at host:eth0, expected none');
  t.is(r.nearMisses[0]?.flow, '172.17.0.100 -> 203.0.113.8 ICMP echo-request ttl=63 x3, no reply');
});

test('a check passes only if every expectation does; a point without capture fails', (t) => {
  const check = {
    points: ['host:eth0', 'host:br0'],
    probes: [],
    expectations: [expect(icmp.echoRequest()), { ...expect(icmp.echoRequest()), point: 'host:br0' }],
  };
  const r = evaluateCheck(check, new Map([['host:eth0', seen(forwarded)]]), []);
  t.false(r.pass);
  t.true(r.expectations[0]?.pass);
  t.false(r.expectations[1]?.pass);
  t.is(r.points[1]?.error, 'no capture at this point');
  t.true(
    evaluateCheck(
      { ...check, expectations: [expect(icmp.echoRequest())] },
      new Map([
        ['host:eth0', seen(forwarded)],
        ['host:br0', seen([])],
      ]),
      [],
    ).pass,
  );
});
