// Load: many runs of lab 03 at once all pass, with nothing left; a machine that is full says so (exit 3).
// npm test runs LOAD_RUNS (default 8) at once; `node scripts/load.mjs 50` is the fifty (about
// two minutes on 2 CPUs: beyond 4 sandboxes per CPU the runs queue for a slot).
import test from '../helpers/root-test.js';
import { tempDir } from '../helpers/temp.js';
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { lab, ROOT } from '../helpers/cli.js';
import { journal } from '../helpers/procs.js';

const RUNS = Number(process.env.LOAD_RUNS ?? 8);

test(`${RUNS} runs of 03-masquerade at once all pass, and nothing is left`, async (t) => {
  t.timeout(300_000);
  const r = await execa(process.execPath, [join(ROOT, 'scripts/load.mjs'), String(RUNS), '03-masquerade'], {
    reject: false,
    cwd: ROOT,
  });
  const s = JSON.parse(String(r.stdout)) as {
    passed: number;
    failed: unknown[];
    left: string[];
    journals: string[];
    cgroups: string[];
    wallMs: number;
  };
  t.log(`${s.passed}/${RUNS} passed in ${s.wallMs} ms`);
  t.is(s.passed, RUNS, JSON.stringify(s.failed));
  t.deepEqual(s.left, [], 'no process of any run is left');
  t.deepEqual(s.journals, [], 'no journal entry is left');
  t.deepEqual(s.cgroups, [], 'no cgroup of any run is left');
  t.is(r.exitCode, 0);
});

test('a full machine is said up front: exit 3 naming the limit, nothing built', async (t) => {
  const slots = tempDir('lab-slots-');
  const state = tempDir('lab-slots-state-');
  const hog = spawn('flock', [join(slots, 'slot-0'), 'sleep', '60'], { stdio: 'ignore' });
  t.teardown(() => hog.kill('SIGKILL'));
  const held = async (): Promise<boolean> =>
    (await execa('flock', ['-n', join(slots, 'slot-0'), 'true'], { reject: false })).exitCode === 1;
  for (let i = 0; i < 100 && !(await held()); i++) await new Promise((r) => setTimeout(r, 20));
  t.true(await held(), 'the test holds the only slot');
  const r = await lab(['run', '02-bridge-veth', '--check', '--reporter', 'plain'], {
    LAB_SLOT_DIR: slots,
    LAB_MAX_SANDBOXES: '1',
    LAB_SLOT_WAIT_MS: '1000',
    LAB_STATE_DIR: state,
  });
  t.is(r.exitCode, 3, r.stdout + r.stderr);
  t.regex(r.stdout + r.stderr, /this machine already runs 1 sandboxes, its limit, and none ended within 1 s/);
  t.deepEqual(journal(state), [], 'nothing was built');
});
