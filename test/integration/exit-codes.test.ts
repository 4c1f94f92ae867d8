// Each exit code of the table is what a real run of the CLI returns in that situation (README.md, docs/cli.md).
import test from '../helpers/root-test.js';
import { setTimeout as delay } from 'node:timers/promises';
import { EXIT } from '../../src/errors.js';
import { execa } from 'execa';
import { lab, labProcess, ROOT } from '../helpers/cli.js';

const PROBES = 'fixtures/labs/probes.ts'; // passes, no container

test('every check passed: exit 0', async (t) => {
  const r = await lab(['check', PROBES, '--reporter', 'plain']);
  t.is(r.exitCode, EXIT.pass, r.stdout + r.stderr);
});

test('a check failed: exit 1', async (t) => {
  const r = await lab(['check', '02-bridge-veth', '--skip', 'veth', '--reporter', 'plain']);
  t.is(r.exitCode, EXIT.checkFailed, r.stdout + r.stderr);
});

test('a lab that cannot be run as written, or an unknown lab: exit 2', async (t) => {
  t.is((await lab(['check', 'fixtures/labs/bad-cidr.ts'])).exitCode, EXIT.usage);
  t.is((await lab(['check', 'no-such-lab'])).exitCode, EXIT.usage);
});

test('no privilege to build namespaces: exit 3, saying what to run', async (t) => {
  const nobody = await execa(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, 'dist/src/cli/main.js', 'check', PROBES],
    { reject: false, cwd: ROOT, env: { CI: 'true' } },
  );
  t.is(nobody.exitCode, EXIT.environment, String(nobody.stderr));
  t.regex(String(nobody.stderr), /hint: .*sudo/);
});

for (const [signal, code] of [
  ['SIGINT', EXIT.interrupted],
  ['SIGTERM', EXIT.terminated],
  ['SIGHUP', EXIT.hangup],
] as const) {
  test(`${signal} during a run: teardown, then exit ${code}`, async (t) => {
    const p = labProcess(['check', '03-masquerade', '--reporter', 'plain']);
    let out = '';
    p.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    // Up to 30 s: under npm test's load a run may first wait for a sandbox slot.
    for (let i = 0; i < 1200 && !out.includes('step 2/5'); i++) await delay(25);
    p.kill(signal);
    const r = await p;
    t.is(r.exitCode, code, out);
    t.regex(out, /sandbox removed/);
  });
}
