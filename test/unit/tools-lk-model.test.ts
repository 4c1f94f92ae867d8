// lk's pure model: project names, comments, the rules of a project, and drift computed from what the kernel has.
import test from 'ava';
import { parseCidr4, type Cidr4 } from '../../src/tools/ipv4.js';
import { lkBridges, parseIpJson } from '../../src/tools/ip-json.js';
import {
  baseLines,
  commentOf,
  netRuleSpecs,
  parseComment,
  parsePort,
  portRuleSpecs,
  restoreText,
  validateProject,
  type Bridge,
  type Tables,
} from '../../src/tools/lk-model.js';
import { formatReport, report } from '../../src/tools/lk-report.js';
import { parseSave } from '../../src/tools/saved-rules.js';
import { ToolError } from '../../src/tools/tool-error.js';

const WEB: Cidr4 = parseCidr4('10.1.2.0/24') as Cidr4;
const DB: Cidr4 = parseCidr4('10.1.3.0/24') as Cidr4;

// A bridge record as lk reads it from ip -j addr.
function bridge(project: string, subnet: Cidr4, up = true): Bridge {
  return { name: `lk-${project}`, project, subnets: [subnet], gateway: undefined, up };
}

// What iptables-save prints after lk made the given projects (and ports), minus what `drop` names.
function saveOf(
  projects: [string, Cidr4][],
  ports: [string, { hostPort: number; ip: string; port: number; proto: 'tcp' | 'udp' }][] = [],
  drop: string[] = [],
): Tables {
  const filter = [
    ':INPUT ACCEPT [0:0]',
    ':FORWARD ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':LAB_FORWARD - [0:0]',
    '-A FORWARD -m comment --comment "lk:jump" -j LAB_FORWARD',
  ];
  const nat = [
    ':PREROUTING ACCEPT [0:0]',
    ':INPUT ACCEPT [0:0]',
    ':OUTPUT ACCEPT [0:0]',
    ':POSTROUTING ACCEPT [0:0]',
    ':LAB_PREROUTING - [0:0]',
    '-A PREROUTING -m comment --comment "lk:jump" -j LAB_PREROUTING',
  ];
  for (const [p, s] of projects) {
    for (const e of netRuleSpecs(p, s)) (e.table === 'nat' ? nat : filter).push(`-A ${e.chain} ${e.spec}`);
  }
  for (const [p, spec] of ports) {
    const r = portRuleSpecs(p, spec);
    nat.push(`-A LAB_PREROUTING ${r.nat}`);
    filter.push(`-A LAB_FORWARD ${r.filter}`);
  }
  const keep = (l: string): boolean => !drop.some((d) => l.includes(d));
  const text = ['*filter', ...filter.filter(keep), 'COMMIT', '*nat', ...nat.filter(keep), 'COMMIT', ''].join('\n');
  const parsed = parseSave(text);
  return {
    filter: parsed.get('filter') ?? { chains: [], rules: [] },
    nat: parsed.get('nat') ?? { chains: [], rules: [] },
  };
}

test('project names: bridge lk-NAME must fit in 15 characters; odd characters are refused', (t) => {
  t.is(validateProject('web'), 'web');
  t.is(validateProject('twelve-chars'), 'twelve-chars');
  const long = t.throws(() => validateProject('thirteen-char'), { instanceOf: ToolError });
  t.is(long?.exitCode, 2);
  t.regex(long?.message ?? '', /lk-thirteen-char would be 16 characters.*at most 12/);
  for (const bad of ['', 'Web', 'a b', '-web', 'a:b', 'x/y', undefined])
    t.throws(() => validateProject(bad), { instanceOf: ToolError }, String(bad));
});

test('comments round trip, and foreign comments are not lk rules', (t) => {
  t.deepEqual(parseComment(commentOf('web', 'masq')), { project: 'web', role: 'masq' });
  const p = { hostPort: 8080, ip: '10.1.2.2', port: 80, proto: 'tcp' as const };
  t.deepEqual(parseComment(commentOf('web', 'port', p)), { project: 'web', role: 'port', port: p });
  for (const c of [undefined, 'lk:jump', 'docker', 'lk:web:other', 'lk:web:port:1:2', 'nat66 eth0 a b'])
    t.is(parseComment(c), undefined, String(c));
});

test('a complete namespace has no drift; status lists bridges, rules and port pairs', (t) => {
  const tables = saveOf(
    [
      ['web', WEB],
      ['db', DB],
    ],
    [['web', { hostPort: 8080, ip: '10.1.2.2', port: 80, proto: 'tcp' }]],
  );
  const r = report([bridge('web', WEB), bridge('db', DB)], tables);
  t.deepEqual(r.drift, []);
  t.deepEqual(r.chains, { filter: true, nat: true, forwardJump: true, preroutingJump: true });
  t.deepEqual(
    r.projects.map((p) => [p.project, p.rules.length]),
    [
      ['db', 3],
      ['web', 5],
    ],
  );
  const text = formatReport(r);
  t.regex(text, /^project web: bridge lk-web 10\.1\.2\.0\/24 up$/m);
  t.regex(
    text,
    /^ {2}nat POSTROUTING -s 10\.1\.2\.0\/24 ! -d 10\.1\.2\.0\/24 -m comment --comment "?lk:web:masq"? -j MASQUERADE$/m,
  );
  t.regex(text, /^ {2}port tcp 8080 -> 10\.1\.2\.2:80 \(DNAT \+ ACCEPT\)$/m);
  t.regex(text, /^drift: none$/m);
});

test('a rule deleted by hand is named as drift', (t) => {
  const r = report(
    [bridge('web', WEB), bridge('db', DB)],
    saveOf(
      [
        ['web', WEB],
        ['db', DB],
      ],
      [],
      ['lk:db:masq', 'lk:web:in'],
    ),
  );
  t.deepEqual(r.drift, [
    'db: masquerade rule missing: nat POSTROUTING -s 10.1.3.0/24 ! -d 10.1.3.0/24 -m comment --comment lk:db:masq -j MASQUERADE',
    'web: forward rule (into the bridge) missing: filter LAB_FORWARD ! -i lk-web -o lk-web -m comment --comment lk:web:in -j ACCEPT',
  ]);
  t.regex(formatReport(r), /^drift:\n {2}db: masquerade rule missing/m);
});

test('half a port pair is drift, either half', (t) => {
  const p = { hostPort: 8080, ip: '10.1.2.2', port: 80, proto: 'tcp' as const };
  const noAccept = report([bridge('web', WEB)], saveOf([['web', WEB]], [['web', p]], ['-d 10.1.2.2/32']));
  t.deepEqual(noAccept.drift, [
    'web: port tcp 8080 -> 10.1.2.2:80 has its DNAT but its ACCEPT is missing (filter LAB_FORWARD)',
  ]);
  const noDnat = report([bridge('web', WEB)], saveOf([['web', WEB]], [['web', p]], ['--to-destination']));
  t.deepEqual(noDnat.drift, [
    'web: port tcp 8080 -> 10.1.2.2:80 has its ACCEPT but its DNAT is missing (nat LAB_PREROUTING)',
  ]);
});

test('missing chains or jumps, stale rules, a moved subnet and a down bridge are drift', (t) => {
  const noJump = saveOf([['web', WEB]], [], ['"lk:jump" -j LAB_FORWARD']);
  t.deepEqual(report([bridge('web', WEB)], noJump).drift, [
    'the jump from FORWARD to LAB_FORWARD is missing (filter FORWARD -j LAB_FORWARD)',
  ]);
  const stale = report(
    [bridge('web', WEB)],
    saveOf([
      ['web', WEB],
      ['gone', DB],
    ]),
  );
  t.deepEqual(stale.drift, ['gone: 3 rule(s) left without a bridge lk-gone (stale; remove them with lk cleanup gone)']);
  const moved = report([bridge('web', DB, false)], saveOf([['web', WEB]]));
  t.deepEqual(moved.drift, [
    'web: masquerade rule is for 10.1.2.0/24 but lk-web has 10.1.3.0/24',
    'web: bridge lk-web is down',
  ]);
  const empty = parseSave('*filter\n:FORWARD ACCEPT [0:0]\nCOMMIT\n');
  const bare: Tables = { filter: empty.get('filter') ?? { chains: [], rules: [] }, nat: { chains: [], rules: [] } };
  t.deepEqual(report([], bare).drift, [], 'no project, nothing expected');
  t.deepEqual(report([bridge('web', WEB)], bare).drift.slice(0, 2), [
    'chain LAB_FORWARD is missing from the filter table',
    'chain LAB_PREROUTING is missing from the nat table',
  ]);
});

test('base lines create only what is missing; restore text leaves out empty tables', (t) => {
  const full = saveOf([]);
  t.deepEqual(baseLines(full), { filter: [], nat: [] });
  t.is(restoreText(baseLines(full)), '');
  const none: Tables = { filter: { chains: ['FORWARD'], rules: [] }, nat: { chains: ['PREROUTING'], rules: [] } };
  const lines = baseLines(none);
  t.deepEqual(lines.filter, ['-N LAB_FORWARD', '-I FORWARD 1 -m comment --comment lk:jump -j LAB_FORWARD']);
  t.is(restoreText({ filter: [], nat: ['-N LAB_PREROUTING'] }), '*nat\n-N LAB_PREROUTING\nCOMMIT\n');
});

test('port arguments: the container must be in the project subnet, ports in range', (t) => {
  t.deepEqual(parsePort('8080', '10.1.2.2:80', WEB), { hostPort: 8080, ip: '10.1.2.2', port: 80, proto: 'tcp' });
  t.deepEqual(parsePort('53/udp', '10.1.2.9:53', WEB), { hostPort: 53, ip: '10.1.2.9', port: 53, proto: 'udp' });
  const cases: [string, string, RegExp][] = [
    ['0', '10.1.2.2:80', /HOSTPORT "0" is not a port/],
    ['70000', '10.1.2.2:80', /HOSTPORT "70000"/],
    ['80/sctp', '10.1.2.2:80', /HOSTPORT "80\/sctp"/],
    [
      '8080',
      '10.1.3.2:80',
      /CONTAINER_IP 10\.1\.3\.2 is not a container address in the project's subnet 10\.1\.2\.0\/24/,
    ],
    ['8080', '10.1.2.1:80', /not a container address/],
    ['8080', '10.1.2.255:80', /not a container address/],
    ['8080', '10.1.2.2', /CONTAINER_IP:PORT "10\.1\.2\.2" is not/],
    ['8080', 'web:80', /is not an IPv4 address and port/],
  ];
  for (const [h, target, re] of cases) {
    const e = t.throws(() => parsePort(h, target, WEB), { instanceOf: ToolError });
    t.is(e?.exitCode, 2);
    t.regex(e?.message ?? '', re);
  }
});

test('bridges are read from ip -j addr: lk-* names that are bridges, with their subnet, gateway and state', (t) => {
  const links = parseIpJson(
    JSON.stringify([
      {
        ifname: 'lk-web',
        flags: ['BROADCAST', 'UP'],
        addr_info: [{ family: 'inet', local: '10.1.2.1', prefixlen: 24 }],
      },
      { ifname: 'lk-db', flags: ['BROADCAST'], addr_info: [] },
      { ifname: 'lk-veth', flags: ['UP'], addr_info: [{ family: 'inet', local: '10.9.9.1', prefixlen: 24 }] },
      { ifname: 'eth0', flags: ['UP'] },
    ]),
  );
  const b = lkBridges(links, new Set(['lk-web', 'lk-db']));
  t.deepEqual(
    b.map((x) => [x.name, x.project, x.subnets.length, x.gateway, x.up]),
    [
      ['lk-web', 'web', 1, '10.1.2.1', true],
      ['lk-db', 'db', 0, undefined, false],
    ],
  );
});
