// nat66 in real throwaway namespaces: bad input changes nothing (exit 2), the add/status/del round trip,
// a refusal without CAP_NET_ADMIN (exit 1), and per-namespace isolation.
import test from '../helpers/root-test.js';
import { Netns, saved } from '../helpers/netns.js';

const DROP_CAPS = ['setpriv', '--inh-caps=-all', '--bounding-set=-all', '--'];

// A namespace with a veth pair eth0/peer0, both up, and one mapping on eth0.
async function withMapping(): Promise<Netns> {
  const ns = await Netns.create();
  ns.sh('ip link add eth0 type veth peer name peer0; ip link set eth0 up; ip link set peer0 up');
  const r = ns.tool('nat66', ['eth0', 'add', 'fd00::/48', '2001:db8:1::/48']);
  if (r.status !== 0) throw new Error(`setup add failed: ${r.stderr}`);
  return ns;
}

const BAD: { name: string; args: string[]; stderr: RegExp }[] = [
  {
    name: 'prefixes of different lengths',
    args: ['eth0', 'add', 'fd00:1::/48', '2001:db8:2::/64'],
    stderr: /INTERNAL is \/48 but EXTERNAL is \/64/,
  },
  {
    name: 'a length over 64',
    args: ['eth0', 'add', 'fd00:1::/80', '2001:db8:2::/80'],
    stderr: /INTERNAL length \/80 is out of range \(1-64\)/,
  },
  {
    name: 'an address that is not a prefix',
    args: ['eth0', 'add', 'fd01::1/64', '2001:db8:2::/64'],
    stderr: /INTERNAL fd01::1\/64 has host bits set/,
  },
  {
    name: 'host bits in the external prefix',
    args: ['eth0', 'add', 'fd01::/48', '2001:db8:2::9/48'],
    stderr: /EXTERNAL 2001:db8:2::9\/48 has host bits set/,
  },
  {
    name: 'nonsense as a prefix',
    args: ['eth0', 'add', 'banana', '2001:db8:2::/64'],
    stderr: /INTERNAL "banana" is not an IPv6 prefix/,
  },
  {
    name: 'nonsense as a command',
    args: ['eth0', 'frobnicate', 'fd01::/48', '2001:db8:2::/48'],
    stderr: /unknown command "frobnicate"/,
  },
  {
    name: 'a missing prefix',
    args: ['eth0', 'add', 'fd01::/48'],
    stderr: /INTERNAL\/LEN and EXTERNAL\/LEN are both required/,
  },
  {
    name: 'an internal prefix overlapping a mapping',
    args: ['eth0', 'add', 'fd00:0:0:7::/64', '2001:db8:2::/64'],
    stderr: /INTERNAL fd00:0:0:7::\/64 overlaps the existing mapping eth0 fd00::\/48 <-> 2001:db8:1::\/48/,
  },
  {
    name: 'an external prefix overlapping one on another interface',
    args: ['peer0', 'add', 'fd01::/48', '2001:db8:1::/48'],
    stderr: /EXTERNAL 2001:db8:1::\/48 overlaps the existing mapping eth0/,
  },
  {
    name: 'the same mapping twice',
    args: ['eth0', 'add', 'fd00::/48', '2001:db8:1::/48'],
    stderr: /mapping eth0 fd00::\/48 <-> 2001:db8:1::\/48 already exists/,
  },
  {
    name: 'an unknown interface',
    args: ['nosuch0', 'add', 'fd01::/48', '2001:db8:3::/48'],
    stderr: /IFACE "nosuch0": no such interface in this network namespace/,
  },
  {
    name: 'an interface name that cannot be one',
    args: ['a/b', 'add', 'fd01::/48', '2001:db8:3::/48'],
    stderr: /IFACE "a\/b" is not an interface name/,
  },
  {
    name: 'deleting a mapping that does not exist',
    args: ['eth0', 'del', 'fd01::/48', '2001:db8:3::/48'],
    stderr:
      /no mapping eth0 fd01::\/48 <-> 2001:db8:3::\/48 to delete \(eth0 has: eth0 fd00::\/48 <-> 2001:db8:1::\/48\)/,
  },
  { name: 'a status with an argument', args: ['status', 'eth0'], stderr: /status takes no argument but --json/ },
];

test('each bad input exits 2 with the argument named, and ip6tables-save is byte-identical before and after', async (t) => {
  const ns = await withMapping();
  try {
    for (const c of BAD) {
      const before = ns.run(['ip6tables-save']);
      t.is(before.status, 0, before.stderr);
      const r = ns.tool('nat66', c.args);
      const after = ns.run(['ip6tables-save']);
      t.is(r.status, 2, `${c.name}: exit ${r.status}, stderr ${r.stderr}`);
      t.regex(r.stderr, c.stderr, c.name);
      t.regex(r.stderr, /^nat66: /, c.name);
      t.is(r.stdout, '', c.name);
      t.is(saved(after.stdout), saved(before.stdout), `${c.name} changed the rules`);
      t.true(saved(before.stdout).includes('-j SNPT'), 'the setup mapping is there to overlap with');
    }
  } finally {
    await ns.close();
  }
});

test('add, status and del round trip through the kernel and leave the table as it was', async (t) => {
  const ns = await Netns.create();
  try {
    ns.sh('ip link add eth0 type veth peer name peer0; ip link set eth0 up');
    const empty = saved(ns.run(['ip6tables-save', '-t', 'mangle']).stdout);
    t.is(ns.tool('nat66', ['status']).stdout, 'no mappings in this network namespace\n');

    const add = ns.tool('nat66', ['eth0', 'add', 'FD00:0:0:1::/64', '2001:db8:1:1::/64']);
    t.is(add.status, 0, add.stderr);
    t.is(add.stdout, 'added eth0 fd00:0:0:1::/64 <-> 2001:db8:1:1::/64\n');
    const add2 = ns.tool('nat66', ['peer0', 'add', 'fd00:0:0:2::/64', '2001:db8:2:2::/64']);
    t.is(add2.status, 0, add2.stderr);

    const rules = ns.run(['ip6tables', '-t', 'mangle', '-S']).stdout;
    t.regex(
      rules,
      /-A POSTROUTING -s fd00:0:0:1::\/64 -o eth0 -m comment --comment "nat66 eth0 fd00:0:0:1::\/64 2001:db8:1:1::\/64" -j SNPT --src-pfx fd00:0:0:1::\/64 --dst-pfx 2001:db8:1:1::\/64/,
    );
    t.regex(
      rules,
      /-A PREROUTING -d 2001:db8:1:1::\/64 -i eth0 -m comment --comment "nat66 eth0 fd00:0:0:1::\/64 2001:db8:1:1::\/64" -j DNPT --src-pfx 2001:db8:1:1::\/64 --dst-pfx fd00:0:0:1::\/64/,
    );

    const status = ns.tool('nat66', ['status']);
    t.is(status.status, 0);
    t.is(status.stdout, 'eth0 fd00:0:0:1::/64 <-> 2001:db8:1:1::/64\npeer0 fd00:0:0:2::/64 <-> 2001:db8:2:2::/64\n');
    const json = JSON.parse(ns.tool('nat66', ['status', '--json']).stdout) as {
      mappings: { iface: string; internal: string; external: string; complete: boolean }[];
    };
    t.deepEqual(
      json.mappings.map((m) => [m.iface, m.internal, m.external, m.complete]),
      [
        ['eth0', 'fd00:0:0:1::/64', '2001:db8:1:1::/64', true],
        ['peer0', 'fd00:0:0:2::/64', '2001:db8:2:2::/64', true],
      ],
    );

    // A rule deleted by hand shows as an incomplete mapping, read back from the kernel.
    ns.sh('ip6tables -t mangle -D PREROUTING 1');
    t.regex(
      ns.tool('nat66', ['status']).stdout,
      /^eth0 fd00:0:0:1::\/64 <-> 2001:db8:1:1::\/64 \(incomplete: outbound SNPT only, the inbound DNPT rule is missing\)$/m,
    );

    t.is(ns.tool('nat66', ['eth0', 'del', 'fd00:0:0:1::/64', '2001:db8:1:1::/64']).status, 0);
    const del2 = ns.tool('nat66', ['peer0', 'del', 'fd00:0:0:2::/64', '2001:db8:2:2::/64']);
    t.is(del2.status, 0, del2.stderr);
    t.is(del2.stdout, 'deleted peer0 fd00:0:0:2::/64 <-> 2001:db8:2:2::/64\n');
    t.is(ns.tool('nat66', ['status']).stdout, 'no mappings in this network namespace\n');
    t.is(saved(ns.run(['ip6tables-save', '-t', 'mangle']).stdout), empty);
  } finally {
    await ns.close();
  }
});

test('without CAP_NET_ADMIN the kernel refuses: exit 1 with its message, rules unchanged', async (t) => {
  const ns = await withMapping();
  try {
    const before = saved(ns.run(['ip6tables-save']).stdout);
    const add = ns.tool('nat66', ['eth0', 'add', 'fd02::/48', '2001:db8:4::/48'], DROP_CAPS);
    t.is(add.status, 1, add.stderr);
    t.regex(add.stderr, /^nat66: .*(Permission denied|Operation not permitted)/);
    const status = ns.tool('nat66', ['status'], DROP_CAPS);
    t.is(status.status, 1);
    t.regex(status.stderr, /Permission denied|Operation not permitted/);
    t.is(saved(ns.run(['ip6tables-save']).stdout), before);
    // The same command with the capability succeeds.
    t.is(ns.tool('nat66', ['eth0', 'add', 'fd02::/48', '2001:db8:4::/48']).status, 0);
  } finally {
    await ns.close();
  }
});

test("each namespace's status shows only its own mappings", async (t) => {
  const a = await withMapping();
  const b = await Netns.create();
  try {
    b.sh('ip link add eth0 type veth peer name peer0; ip link set eth0 up');
    t.is(b.tool('nat66', ['status']).stdout, 'no mappings in this network namespace\n');
    // The same prefixes are free in b: mappings are per namespace.
    t.is(b.tool('nat66', ['eth0', 'add', 'fd00::/48', '2001:db8:9::/48']).status, 0);
    t.is(a.tool('nat66', ['status']).stdout, 'eth0 fd00::/48 <-> 2001:db8:1::/48\n');
    t.is(b.tool('nat66', ['status']).stdout, 'eth0 fd00::/48 <-> 2001:db8:9::/48\n');
  } finally {
    await a.close();
    await b.close();
  }
});

test('nat66 --help explains the rules and exit codes; no arguments is a usage error', async (t) => {
  const ns = await Netns.create();
  try {
    const help = ns.tool('nat66', ['--help']);
    t.is(help.status, 0);
    t.regex(help.stdout, /nat66 IFACE add INTERNAL\/LEN EXTERNAL\/LEN/);
    t.regex(help.stdout, /SNPT/);
    t.regex(help.stdout, /1 the kernel refused/);
    t.regex(help.stdout, /leaves as 2001:db8:1:cf47::2, not 2001:db8:1:1::2/);
    const none = ns.tool('nat66', []);
    t.is(none.status, 2);
    t.regex(none.stderr, /Usage:/);
  } finally {
    await ns.close();
  }
});
