// The kit's matchers and checks: flags as a set, payload bytes, IPv6 housekeeping kept out of the way,
// sameFlow across two points, probes from a source address and over IPv6.
import test from 'ava';
import { assembleFlows } from '../../src/capture/flows.js';
import type { Packet } from '../../src/capture/types.js';
import { evaluateCheck } from '../../src/check/evaluate.js';
import { icmp, icmp6, ip, tcp } from '../../src/model/matchers.js';
import { matchPacket } from '../../src/check/matchers.js';
import type { Expectation } from '../../src/model/check.js';
import { probeCommand } from '../../src/model/probes.js';
import { hint, observe, ping, tcpRead, httpGet, tcpConnect } from '../../src/lab.js';

const seg = (src: string, sport: number, dst: string, dport: number, flags: string, payload?: string): Packet => ({
  tsUs: 1,
  caplen: 60,
  len: 60,
  proto: 'tcp',
  ip: { version: src.includes(':') ? 6 : 4, src, dst, ttl: 64, proto: 6, len: 60 },
  tcp: { sport, dport, flags, seq: 0, ack: 0, payloadLen: payload?.length ?? 0 },
  ...(payload ? { payload } : {}),
});
const icmpv6 = (name: string, type: number, src = 'fe80::1', dst = 'ff02::1:ff00:15'): Packet => ({
  tsUs: 1,
  caplen: 80,
  len: 80,
  proto: 'icmp6',
  ip: { version: 6, src, dst, ttl: 255, proto: 58, len: 72 },
  icmp: { version: 6, type, code: 0, name },
});

test('tcp.with matches a set of flags; tcpFlags stays exact', (t) => {
  const p = seg('10.0.0.2', 80, '10.0.0.1', 5000, 'PSH,ACK', 'hi');
  t.deepEqual(matchPacket(tcp.with('PSH'), p), []);
  t.deepEqual(matchPacket(tcp.with('ACK,PSH'), p), []);
  t.is(matchPacket(tcp.with('FIN'), p)[0]?.field, 'tcpFlagsInclude');
  t.is(matchPacket(tcp({ tcpFlags: 'PSH' }), p)[0]?.field, 'tcpFlags');
});

test('payload matcher looks into the bytes', (t) => {
  t.deepEqual(
    matchPacket(
      tcp.payload('Hello, world!'),
      seg('10.171.1.2', 12345, '10.171.1.1', 40000, 'PSH,ACK', 'Hello, world!\n'),
    ),
    [],
  );
  t.deepEqual(matchPacket(tcp.payload('Hello'), seg('10.171.1.2', 12345, '10.171.1.1', 40000, 'ACK')), [
    { field: 'payload', expected: 'Hello', seen: '-' },
  ]);
});

test('ND, MLD and router solicitations match only a matcher that names them', (t) => {
  const ns = icmpv6('neighbor-solicitation', 135);
  const mld = icmpv6('mldv2-report', 143, 'fe80::1', 'ff02::16');
  for (const m of [ip(), icmp6.any(), ip({ src: 'fe80::/10' })]) {
    t.not(matchPacket(m, ns).length, 0);
    t.not(matchPacket(m, mld).length, 0);
  }
  t.deepEqual(matchPacket(icmp6.neighborSolicitation(), ns), []);
  const check = observe(['host:eth0'], ping('host', '2001:db8:8::8')).expectNone('host:eth0', ip({ src: 'fe80::/10' }));
  const r = evaluateCheck(
    check,
    new Map([['host:eth0', { packets: [ns, mld], flows: assembleFlows([ns, mld]), ready: true, drops: 0 }]]),
    [],
  );
  t.true(r.pass, 'link-local housekeeping does not break an expectation that does not name it');
});

test('sameFlow: one conversation on two points, only the named fields rewritten', (t) => {
  const inside = [
    seg('172.17.0.100', 40000, '203.0.113.8', 80, 'SYN'),
    seg('203.0.113.8', 80, '172.17.0.100', 40000, 'SYN,ACK'),
  ];
  const outside = [
    seg('10.0.2.15', 40000, '203.0.113.8', 80, 'SYN'),
    seg('203.0.113.8', 80, '10.0.2.15', 40000, 'SYN,ACK'),
  ];
  const obs = new Map([
    ['host:br0', { packets: inside, flows: assembleFlows(inside), ready: true, drops: 0 }],
    ['host:eth0', { packets: outside, flows: assembleFlows(outside), ready: true, drops: 0 }],
  ]);
  const ok = observe(['host:br0', 'host:eth0']).sameFlow('host:br0', 'host:eth0', {
    matcher: tcp.syn(),
    rewritten: ['src'],
  });
  t.true(evaluateCheck(ok, obs, []).pass);
  const wrong = observe(['host:br0', 'host:eth0']).sameFlow('host:br0', 'host:eth0', {
    matcher: tcp.syn(),
    rewritten: ['dst'],
  });
  const r = evaluateCheck(wrong, obs, []);
  t.false(r.pass);
  t.regex(
    r.expectations[0]?.message ?? '',
    /expected the same TCP SYN flow at host:br0 and host:eth0 \(dst rewritten\): seen at host:eth0, but not as expected/,
  );
  t.deepEqual(
    r.expectations[0]?.nearMisses[0]?.diffs.map((d) => d.field),
    ['src', 'dst'],
  );
  const unchanged = observe(['host:br0', 'host:eth0']).sameFlow('host:br0', 'host:eth0', { matcher: tcp.syn() });
  t.false(evaluateCheck(unchanged, obs, []).pass, 'a rewritten source is not the same flow unchanged');
});

test('stopsAt is seen at one point and never at the other, each half with its own hints', (t) => {
  const c = observe(['a:x', 'b:y']).stopsAt(tcp.syn(), {
    seenAt: 'a:x',
    neverAt: 'b:y',
    seenHints: [hint.notSeen('nothing left a')],
    neverHints: [hint.failed('it went on to b')],
  });
  t.deepEqual(
    c.expectations.map((e: Expectation) => [e.kind, e.point, e.hints?.map((h) => h.text)]),
    [
      ['expect', 'a:x', ['nothing left a']],
      ['expect-none', 'b:y', ['it went on to b']],
    ],
  );
});

test('sameFlow carries its hints', (t) => {
  const c = observe(['a:x', 'b:y']).sameFlow('a:x', 'b:y', {
    rewritten: ['src'],
    hints: [hint.near('src', '10.1.2.2', 'not masqueraded')],
  });
  t.deepEqual(c.expectations[0]?.hints, [{ when: 'near', field: 'src', seen: '10.1.2.2', text: 'not masqueraded' }]);
});

test('probes from a source address, over IPv6, and reading a reply', (t) => {
  t.deepEqual(probeCommand(ping('tenant', '2001:db8:8::8', { src: 'fd00:0:0:2::1' })).argv, [
    'ping',
    '-6',
    '-n',
    '-q',
    '-c',
    '3',
    '-i',
    '0.005',
    '-W',
    '1',
    '-I',
    'fd00:0:0:2::1',
    '2001:db8:8::8',
  ]);
  t.deepEqual(probeCommand(tcpConnect('peer', '2001:db8:8::8', 80, { src: '2001:db8:0:2::15' })).argv, [
    'nc',
    '-z',
    '-w',
    '1',
    '-s',
    '2001:db8:0:2::15',
    '2001:db8:8::8',
    '80',
  ]);
  t.deepEqual(probeCommand(tcpRead('host', '10.171.1.2', 12345, /Hello/)).argv, [
    'nc',
    '-d',
    '-w',
    '2',
    '10.171.1.2',
    '12345',
  ]);
  t.true(
    probeCommand(httpGet('host', 'http://[2001:db8:8::8]/', { src: '2001:db8:0:2::15' })).argv.includes('--interface'),
  );
});

const echo = (tsUs: number, src: string, seq: number, id = 7): Packet => ({
  tsUs,
  caplen: 98,
  len: 98,
  proto: 'icmp',
  ip: { version: 4, src, dst: '203.0.113.8', ttl: 63, proto: 1, len: 84 },
  icmp: { version: 4, type: 8, code: 0, name: 'echo-request', id, seq },
});

test('sameFlow takes the same packets for the twin, never another probe rewritten the same way', (t) => {
  // alpha's pings leave eth0 unrewritten (no MASQUERADE for it); beta's, a moment later with the same echo
  // id (each container's ping is PID 1's first child), leave rewritten: beta's flow is no twin of alpha's.
  const alpha = [1, 2, 3].map((seq) => echo(1_000 + seq * 5_000, '10.1.1.2', seq));
  const atEth0 = [
    ...[1, 2, 3].map((seq) => echo(1_050 + seq * 5_000, '10.1.1.2', seq)),
    ...[1, 2, 3].map((seq) => echo(30_000 + seq * 5_000, '10.0.2.15', seq)),
  ];
  const obs = (a: Packet[], b: Packet[]) =>
    new Map([
      ['host:lk-alpha', { packets: a, flows: assembleFlows(a), ready: true, drops: 0 }],
      ['host:eth0', { packets: b, flows: assembleFlows(b), ready: true, drops: 0 }],
    ]);
  const check = observe(['host:lk-alpha', 'host:eth0']).sameFlow('host:lk-alpha', 'host:eth0', {
    matcher: icmp.echoRequest({ src: '10.1.1.2' }),
    rewritten: ['src'],
  });
  const r = evaluateCheck(check, obs(alpha, atEth0), []);
  t.false(r.pass, 'alpha was not masqueraded');
  t.deepEqual(
    r.expectations[0]?.nearMisses.map((m) => m.diffs.map((d) => d.field)),
    [['src']],
    'its own packets at eth0, the source not rewritten',
  );
  // Masqueraded: alpha's own packets, microseconds later, rewritten.
  const masqueraded = [1, 2, 3].map((seq) => echo(1_050 + seq * 5_000, '10.0.2.15', seq));
  t.true(evaluateCheck(check, obs(alpha, masqueraded), []).pass);
  // The same echo id and sequence much later is another packet.
  const later = [1, 2, 3].map((seq) => echo(50_000 + seq * 5_000, '10.0.2.15', seq));
  t.false(evaluateCheck(check, obs(alpha, later), []).pass);
});
