// Lab validation: every problem names the file and the field; good labs pass.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { LabDefinitionError } from '../../src/errors.js';
import { labIds, loadLab } from '../../src/engine/loader.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../../fixtures/labs/${name}`, import.meta.url));

async function problems(name: string): Promise<LabDefinitionError> {
  const err = await loadLab(fixture(name)).then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(err instanceof LabDefinitionError))
    throw new Error(`expected a LabDefinitionError for ${name}, got ${String(err)}`);
  return err;
}

test('the shipped labs are valid', async (t) => {
  const ids = labIds();
  t.true(ids.includes('02-bridge-veth') && ids.includes('03-masquerade'), ids.join(','));
  for (const id of ids) t.is((await loadLab(id)).def.id, id);
});

test('unknown node in a command names steps[0].run[1].node and the known nodes', async (t) => {
  const e = await problems('bad-node.ts');
  t.is(e.file, 'fixtures/labs/bad-node.ts');
  t.is(e.exitCode, 2);
  t.deepEqual(e.problems, ['steps[0].run[1].node: unknown node "mycontainr" (known: host, wan, mycontainer)']);
});

test('a /33 prefix and a point without interface are both reported', async (t) => {
  const e = await problems('bad-cidr.ts');
  t.true(
    e.problems.some((p) => p.startsWith('steps[0].check.points[1]:') && p.includes('node:iface')),
    e.problems.join('\n'),
  );
  t.true(
    e.problems.some(
      (p) => p.startsWith('steps[0].check.expectations[0].matcher.fields.src') && p.includes('172.17.0.0/33'),
    ),
    e.problems.join('\n'),
  );
});

test('duplicate step ids and a probe sent to a name instead of an address', async (t) => {
  const e = await problems('dup-step.ts');
  t.true(e.problems.includes('steps[1].id: duplicate step id "same"'), e.problems.join('\n'));
  t.true(
    e.problems.some((p) => p.startsWith('steps[1].check.probes[0].to: "wan" is not an IPv4 or IPv6 address')),
    e.problems.join('\n'),
  );
});

test('plain JavaScript lab without steps or topology', async (t) => {
  const e = await problems('no-steps.mjs');
  t.true(e.problems.some((p) => p.startsWith('topology.containers:')));
  t.true(e.problems.some((p) => p.startsWith('steps:')));
  t.regex(e.message, /^fixtures\/labs\/no-steps\.mjs: 2 problems/);
});

test('a module without a default export', async (t) => {
  const e = await problems('not-a-lab.mjs');
  t.regex(e.message, /default export: expected defineLab/);
});

test('keepNeighbours on a check that expects no ARP or neighbour discovery is refused, naming the field', async (t) => {
  const e = await problems('bad-keep-neighbours.ts');
  t.deepEqual(e.problems, [
    'steps[0].check.keepNeighbours: only a check that expects ARP or neighbour discovery packets has neighbour caches to keep',
  ]);
});
