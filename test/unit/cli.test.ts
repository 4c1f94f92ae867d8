// The command line: help, argument errors and unknown labs get distinct exit codes and clear words.
import test from 'ava';
import { lab } from '../helpers/cli.js';

test('--help exits 0 and lists the commands and exit codes', async (t) => {
  const r = await lab(['--help']);
  t.is(r.exitCode, 0);
  for (const c of ['list', 'run', 'check', 'shell', 'clean']) t.regex(r.stdout, new RegExp(`\\n  ${c}\\b`));
  t.regex(r.stdout, /130 interrupted/);
});

test('run --help documents --skip, --until, --keep, --json and --save-pcap', async (t) => {
  const r = await lab(['run', '--help']);
  t.is(r.exitCode, 0);
  for (const o of ['--check', '--skip <step>', '--until <step>', '--keep', '--json', '--save-pcap <dir>'])
    t.true(r.stdout.includes(o), o);
});

test('an unknown option exits 2', async (t) => {
  const r = await lab(['run', '03-masquerade', '--chek']);
  t.is(r.exitCode, 2);
  t.regex(r.stderr, /unknown option '--chek'/);
});

test('a missing argument exits 2', async (t) => {
  const r = await lab(['run']);
  t.is(r.exitCode, 2);
  t.regex(r.stderr, /missing required argument 'lab'/);
});

test('an unknown lab exits 2 and suggests the closest', async (t) => {
  const r = await lab(['run', '03-masqerade', '--check']);
  t.is(r.exitCode, 2);
  t.regex(r.stderr, /unknown lab "03-masqerade"/);
  t.regex(r.stderr, /did you mean 03-masquerade\?/);
});

test('an unknown lab in JSON mode is still JSON with the error code', async (t) => {
  const r = await lab(['check', 'nope-lab', '--json']);
  t.is(r.exitCode, 2);
  const j = JSON.parse(r.stdout) as { error: { code: string } };
  t.is(j.error.code, 'LAB_NOT_FOUND');
});

test('--skip of a step the lab does not have exits 2 before anything is created', async (t) => {
  const r = await lab(['check', '03-masquerade', '--skip', 'masq']);
  t.is(r.exitCode, 2);
  t.regex(r.stderr, /--skip masq: lab 03-masquerade has no step "masq"/);
  t.regex(r.stderr, /bridge, veth, observe, forward, masquerade/);
});

test('a malformed lab exits 2 naming the file and the field', async (t) => {
  const r = await lab(['check', 'fixtures/labs/bad-node.ts']);
  t.is(r.exitCode, 2);
  t.regex(r.stderr, /fixtures\/labs\/bad-node\.ts: steps\[0\]\.run\[1\]\.node: unknown node "mycontainr"/);
});

test('a lab id prefix selects the lab; list shows the labs', async (t) => {
  const r = await lab(['list', '--json']);
  t.is(r.exitCode, 0);
  const labs = JSON.parse(r.stdout) as { id: string; steps: string[] }[];
  t.deepEqual(labs.find((l) => l.id === '03-masquerade')?.steps, [
    'bridge',
    'veth',
    'observe',
    'forward',
    'masquerade',
  ]);
  const ambiguous = await lab(['run', '0', '--check']);
  t.is(ambiguous.exitCode, 2);
  t.regex(ambiguous.stderr, /did you mean one of: 01-namespaces, 02-bridge-veth, 03-masquerade, 04-port-mapping/);
});
