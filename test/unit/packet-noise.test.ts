// One packet-noise policy: the report, the walkthrough and the demo fold the same chatter (ND, MLD, IGMP),
// and all three show it when a matcher names it.
import test from 'ava';
import { assembleFlows } from '../../src/capture/flows.js';
import type { Packet } from '../../src/capture/types.js';
import { evaluateCheck } from '../../src/check/evaluate.js';
import { formatCheckReport } from '../../src/check/format.js';
import { icmp6 } from '../../src/model/matchers.js';
import type { PacketMatcher } from '../../src/model/check.js';
import { isChatter as demoFolds } from '../../src/ui/demo/packet-lines.js';
import { checkReportLines } from '../../src/ui/walk/report.js';
import { echo, igmp, na6, ns6 } from '../helpers/packets.js';

const v6echo = (p: Packet): Packet => ({
  ...p,
  proto: 'icmp6',
  ip: { ...p.ip!, version: 6, proto: 58 },
  icmp: { ...p.icmp!, version: 6, type: 128 },
});

// A failing check at one point (so that every view lists the flows it saw), with the given matcher.
function failing(packets: Packet[], matcher: PacketMatcher) {
  return evaluateCheck(
    { points: ['host:eth0'], probes: [], expectations: [{ kind: 'expect', point: 'host:eth0', matcher }] },
    new Map([['host:eth0', { packets, flows: assembleFlows(packets), ready: true, drops: 0, windowMs: 50 }]]),
    [],
  );
}

const packets = (): Packet[] => [
  v6echo(echo('request', 'fd00:0:0:1::2', '2001:db8:8::8', 63)),
  ns6('fe80::1', 'ff02::1:ff00:1'),
  na6('fe80::2', 'fe80::1'),
  igmp('172.17.0.1'),
];
const chatter = /neighbor-|ip-proto-2|224\.0\.0\.22/;

test('the report, the walkthrough and the demo fold ND and IGMP out of an ICMPv6 check', (t) => {
  const ps = packets();
  const m = icmp6.echoRequest({ src: '2001:db8:1::2' });
  const r = failing(ps, m);
  const report = formatCheckReport(r);
  const walk = checkReportLines(r);
  t.true(report.some((l) => l.includes('echo-request')));
  t.true(walk.some((l) => l.includes('echo-request')));
  t.deepEqual(
    report.filter((l) => chatter.test(l)),
    [],
  );
  t.deepEqual(
    walk.filter((l) => chatter.test(l)),
    [],
  );
  t.deepEqual(
    ps.map((p) => demoFolds(p, [m])),
    [false, true, true, true],
  );
});

test('a matcher that names neighbour discovery brings it back in every view', (t) => {
  const ps = packets();
  const m = icmp6.neighborSolicitation({ src: 'fe80::9' });
  const r = failing(ps, m);
  t.true(formatCheckReport(r).some((l) => l.includes('neighbor-solicitation')));
  t.true(checkReportLines(r).some((l) => l.includes('neighbor-solicitation')));
  t.false(demoFolds(ps[1]!, [m]));
});
