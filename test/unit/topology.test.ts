// The baseline and the lab-declared nodes and links: the build script's shape, and the loader refusing
// bad topologies (each problem named, exit 2) before anything is created.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { LabDefinitionError } from '../../src/errors.js';
import { loadLab } from '../../src/engine/loader.js';
import { baselineScript } from '../../src/sandbox/topology.js';
import { nodeNames } from '../../src/model/topology.js';
import { lab } from '../helpers/cli.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../../fixtures/labs/${name}`, import.meta.url));

async function problems(name: string): Promise<string[]> {
  const err = await loadLab(fixture(name)).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof LabDefinitionError))
    throw new Error(`expected a LabDefinitionError for ${name}, got ${String(err)}`);
  return err.problems;
}

const topo = {
  containers: { c1: {}, c2: { start: 'step' as const } },
  nodes: { peer: { role: 'a peer', routes: ['default via 100.64.0.1'] } },
  links: [
    {
      endpoints: ['host:ts0', 'peer:ts0'] as [string, string],
      addresses: { 'host:ts0': ['100.64.0.1/24'], 'peer:ts0': ['100.64.0.2/24', 'fd7a::2/64'] },
    },
  ],
};

test('nodes come in order: host, wan, extra nodes, containers', (t) => {
  t.deepEqual(nodeNames(topo), ['host', 'wan', 'peer', 'c1', 'c2']);
});

test("the baseline is batched: one ip -batch per namespace; one perl for every prebuilt node's sysctls and every plain node's hostname", (t) => {
  const s = baselineScript(topo);
  const perl = s.split('\n').filter((l) => l.includes(" host uts '"));
  t.is(perl.length, 1);
  const nodes = [...(perl[0] ?? '').matchAll(/ (\S+) (uts|-) 'net\.ipv4\.ip_forward=0 /g)].map(
    (m) => `${m[1]} ${m[2]}`,
  );
  t.deepEqual(
    nodes,
    ['host uts', 'wan uts', 'peer uts', 'c1 -'],
    "a step-started container is the lab's own; a container names itself",
  );
  t.false(s.includes('nsenter'), 'no program per node');
  t.false(s.includes('ip netns exec'), 'no ip netns exec: it remounts /sys for each call');
  for (const n of ['host', 'wan', 'peer'])
    t.is(s.split('\n').filter((l) => l.startsWith(`ip -n ${n} -batch -`)).length, 1, n);
  t.regex(s, /link add name ts0 netns host type veth peer name ts0 netns peer/);
  t.regex(s, /addr add 2001:db8:0:2::15\/64 dev eth0 nodad/);
  t.regex(s, /route add ::\/0 via 2001:db8:0:2::2/);
  t.regex(s, /addr add 2001:db8:8::8\/128 dev lo/);
  t.regex(s, /addr add fd7a::2\/64 dev ts0 nodad/);
  t.regex(s, /route add default via 100\.64\.0\.1/);
});

test('links go up before their addresses (an IPv6 address on a down link waits for the link watcher)', (t) => {
  const host = /ip -n host -batch - <<'EOF'\n([^]*?)\nEOF/.exec(baselineScript(topo))?.[1]?.split('\n') ?? [];
  t.true(host.indexOf('link set eth0 up') < host.findIndex((l) => l.startsWith('addr add 10.0.2.15')));
  t.true(host.indexOf('link set ts0 up') < host.findIndex((l) => l.startsWith('addr add 100.64.0.1')));
});

test('a link to an unknown node is refused, naming the endpoint', async (t) => {
  t.deepEqual(await problems('unknown-link-node.ts'), [
    'topology.links[0].endpoints[1]: unknown node "peeer" (known: host, wan, peer)',
  ]);
});

test('a duplicate interface, including the baseline uplink, is refused', async (t) => {
  t.deepEqual(await problems('dup-iface.ts'), [
    'topology.links[1].endpoints[0]: duplicate interface "host:ts0"',
    'topology.links[2].endpoints[0]: duplicate interface "host:eth0"',
  ]);
});

test('addresses without a valid prefix length, or on no endpoint of the link, are refused', async (t) => {
  const p = await problems('bad-link-cidr.ts');
  t.is(p.length, 3, p.join('\n'));
  t.true(p[0]?.startsWith('topology.links[0].addresses["host:ts0"][0]: "100.64.0.1/33"'));
  t.true(p[1]?.startsWith('topology.links[0].addresses["peer:ts0"][0]: "100.64.0.2"'));
  t.true(p[2]?.startsWith('topology.links[0].addresses["peer:nope"]: not one of this link\'s endpoints'));
});

test('names over 15 characters are refused: a node and an interface', async (t) => {
  t.deepEqual(await problems('long-names.ts'), [
    'topology.nodes.peer-with-a-long-name: name is over 15 characters',
    'topology.links[0].endpoints[0]: interface name "overlay-interface0" is over 15 characters (the kernel\'s limit)',
  ]);
});

test('lab check on a bad topology exits 2, names file and field, and builds nothing', async (t) => {
  const r = await lab(['check', 'fixtures/labs/dup-iface.ts', '--reporter', 'plain']);
  t.is(r.exitCode, 2);
  t.regex(r.stderr + r.stdout, /fixtures\/labs\/dup-iface\.ts: 2 problems/);
  t.notRegex(r.stderr + r.stdout, /sandbox .* ready/);
});
