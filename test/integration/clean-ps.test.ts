// `lab ps` and `lab clean` on real kept sandboxes: only what they should touch, exact reports, honest exit codes.
import test from '../helpers/root-test.js';
import { execa } from 'execa';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab, labProcess, MAIN, ROOT, type CliResult } from '../helpers/cli.js';
import { alive, journal, pidNamespace, processesIn, waitFor } from '../helpers/procs.js';

const DEAD = 2 ** 22 + 4321; // never a live pid
const made: string[] = [];
test.after.always(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));
// A journal folder for one test, removed after the file.
function journalDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

interface PsEntry {
  runId: string;
  lab: string;
  uid: number;
  user: string;
  checkout: string;
  state: string;
  ageMs: number;
  journaled: boolean;
}

// A sandbox kept with --keep in this journal; returns its run id and its PID namespace.
async function keptSandbox(dir: string): Promise<{ runId: string; initPid: number; pidns: string }> {
  const before = new Set(journal(dir).map((e) => e.runId));
  const run = await lab(['run', '02-bridge-veth', '--check', '--keep', '--reporter', 'plain'], { LAB_STATE_DIR: dir });
  if (run.exitCode !== 0) throw new Error(`kept run failed: ${run.stdout}${run.stderr}`);
  const e = journal(dir).find((x) => !before.has(x.runId));
  if (!e) throw new Error('no journal entry for the kept run');
  return { runId: e.runId, initPid: e.initPid, pidns: pidNamespace(e.initPid) ?? 'none' };
}

// A journal entry of a run that died long ago.
function deadEntry(dir: string, runId: string, owner: { uid: number; user: string; checkout: string }): void {
  writeFileSync(
    join(dir, `${runId}.json`),
    JSON.stringify({
      runId,
      lab: '03-masquerade',
      outerPid: DEAD,
      initPid: DEAD,
      runnerPid: DEAD,
      kept: false,
      nodes: ['host'],
      startedAt: '2026-01-01T00:00:00.000Z',
      ...owner,
    }),
  );
}

// `lab ARGS` as user nobody (uid 65534), with no supplementary groups.
async function asNobody(args: string[], dir: string): Promise<CliResult> {
  const r = await execa(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, MAIN, ...args],
    { reject: false, cwd: ROOT, env: { CI: 'true', LAB_STATE_DIR: dir }, timeout: 60_000 },
  );
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout), stderr: String(r.stderr) };
}

const ps = async (dir: string): Promise<PsEntry[]> =>
  (
    JSON.parse((await lab(['ps', '--json'], { LAB_STATE_DIR: dir })).stdout) as { sandboxes: PsEntry[] }
  ).sandboxes.filter((s) => s.journaled);

test('ps lists a kept sandbox; clean removes only own dead runs; clean RUN removes the kept one; unknown RUN exits 2', async (t) => {
  const dir = journalDir('lab-clean-');
  const kept = await keptSandbox(dir);
  t.teardown(() => lab(['clean', kept.runId], { LAB_STATE_DIR: dir }));
  deadEntry(dir, '03-0000dead', { uid: 0, user: 'root', checkout: ROOT.replace(/\/$/, '') });
  deadEntry(dir, '03-0000a11c', { uid: 1000, user: 'alice', checkout: ROOT.replace(/\/$/, '') });
  deadEntry(dir, '03-00000c0b', { uid: 0, user: 'root', checkout: '/srv/other-checkout' });
  const list = await ps(dir);
  t.like(
    list.find((s) => s.runId === kept.runId),
    { lab: '02-bridge-veth', state: 'kept', uid: 0, user: 'root', checkout: ROOT.replace(/\/$/, '') },
  );
  t.deepEqual(
    list
      .filter((s) => s.state === 'dead')
      .map((s) => s.runId)
      .sort(),
    ['03-00000c0b', '03-0000a11c', '03-0000dead'],
  );
  const table = await lab(['ps'], { LAB_STATE_DIR: dir });
  t.regex(table.stdout, /^RUN\s+LAB\s+STATE\s+AGE\s+OWNER\s+CHECKOUT$/m);
  t.regex(
    table.stdout,
    new RegExp(
      `^${kept.runId}\\s+02-bridge-veth\\s+kept\\s+\\d+ s\\s+root \\(0\\)\\s+${ROOT.replace(/\/$/, '')}$`,
      'm',
    ),
  );

  const clean = await lab(['clean'], { LAB_STATE_DIR: dir });
  t.is(clean.exitCode, 0, clean.stderr);
  t.regex(
    clean.stdout,
    /^removed sandbox 03-0000dead \(03-masquerade, dead\):\n {2}journal entry .*03-0000dead\.json$/m,
  );
  t.notRegex(clean.stdout, /removed sandbox (03-0000a11c|03-00000c0b|02-)/);
  t.regex(clean.stdout, /left alone: 03-0000a11c .*another user \(alice\)/);
  t.regex(clean.stdout, /left alone: 03-00000c0b .*another checkout/);
  t.true(alive(kept.initPid), 'the kept sandbox is not a dead run');
  t.deepEqual(
    journal(dir)
      .map((e) => e.runId)
      .sort(),
    ['03-00000c0b', '03-0000a11c', kept.runId].sort(),
  );

  const unknown = await lab(['clean', '02-nosuchrun'], { LAB_STATE_DIR: dir });
  t.is(unknown.exitCode, 2);
  t.regex(unknown.stderr, /no sandbox with run id "02-nosuchrun"/);

  const one = await lab(['clean', kept.runId], { LAB_STATE_DIR: dir });
  t.is(one.exitCode, 0, one.stderr);
  t.regex(
    one.stdout,
    new RegExp(
      `removed sandbox ${kept.runId} \\(02-bridge-veth, kept\\):\\n {2}stopped keeper pid \\d+: every process, namespace and mount of the sandbox went with it\\n {2}cgroup [^\\n]*lab-${kept.runId}\\n {2}journal entry`,
    ),
  );
  t.true(await waitFor(() => !alive(kept.initPid) && processesIn(kept.pidns).length === 0, 5_000));
  t.deepEqual(
    journal(dir)
      .map((e) => e.runId)
      .sort(),
    ['03-00000c0b', '03-0000a11c'],
  );
});

test('clean --all lists every sandbox first, then removes them all, whoever they belong to', async (t) => {
  const dir = journalDir('lab-clean-all-');
  const a = await keptSandbox(dir);
  const b = await keptSandbox(dir);
  t.teardown(async () => {
    await lab(['clean', a.runId], { LAB_STATE_DIR: dir });
    await lab(['clean', b.runId], { LAB_STATE_DIR: dir });
  });
  deadEntry(dir, '03-0000a11c', { uid: 1000, user: 'alice', checkout: '/home/alice/lab' });
  const r = await lab(['clean', '--all'], { LAB_STATE_DIR: dir });
  t.is(r.exitCode, 0, r.stderr);
  const listAt = r.stdout.indexOf('RUN ');
  const firstRemoval = r.stdout.indexOf('removed sandbox');
  t.true(listAt >= 0 && listAt < firstRemoval, 'the list comes before any removal');
  for (const id of [a.runId, b.runId, '03-0000a11c']) t.regex(r.stdout, new RegExp(`removed sandbox ${id} `));
  t.true(await waitFor(() => !alive(a.initPid) && !alive(b.initPid), 5_000));
  t.deepEqual(processesIn(a.pidns), []);
  t.deepEqual(processesIn(b.pidns), []);
  t.deepEqual(journal(dir), []);
});

// Rewrites fields of a journal entry, as another checkout or user would have written it.
function rewriteEntry(dir: string, runId: string, fields: Record<string, unknown>): void {
  const file = join(dir, `${runId}.json`);
  writeFileSync(file, JSON.stringify({ ...(JSON.parse(readFileSync(file, 'utf8')) as object), ...fields }));
}

test('clean --all leaves a live run of another checkout and a kept sandbox of another user, says whose, until --force', async (t) => {
  const dir = journalDir('lab-clean-live-');
  const env = { LAB_STATE_DIR: dir };
  // A run in progress, paused on its failed check; its entry then says it came from another checkout.
  const proc = labProcess(
    ['run', '02-bridge-veth', '--check', '--skip', 'veth', '--pause-on-fail', '--reporter', 'plain'],
    env,
  );
  t.teardown(() => void proc.kill('SIGKILL'));
  let out = '';
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  t.true(await waitFor(() => out.includes('press Enter'), 60_000), out);
  const [live] = journal(dir);
  if (!live) return t.fail('no journal entry for the live run');
  rewriteEntry(dir, live.runId, { checkout: '/srv/other-checkout' });
  const kept = await keptSandbox(dir);
  t.teardown(() => lab(['clean', kept.runId], env));
  rewriteEntry(dir, kept.runId, { uid: 4242, user: 'alice' });
  deadEntry(dir, '03-0000a11c', { uid: 1000, user: 'alice', checkout: '/home/alice/lab' });

  const r = await lab(['clean', '--all'], env);
  t.is(r.exitCode, 0, r.stdout + r.stderr);
  t.regex(
    r.stdout,
    new RegExp(
      `^left alone: ${live.runId} \\(02-bridge-veth, running, user root, checkout /srv/other-checkout, runner pid \\d+\\): a run in progress of another checkout \\(/srv/other-checkout\\): --force removes it$`,
      'm',
    ),
  );
  t.regex(
    r.stdout,
    new RegExp(
      `^left alone: ${kept.runId} \\(02-bridge-veth, kept, user alice, checkout ${ROOT.replace(/\/$/, '')}, keeper pid \\d+\\): a sandbox kept with --keep of another user \\(alice\\): --force removes it$`,
      'm',
    ),
  );
  t.regex(r.stdout, /removed sandbox 03-0000a11c /, 'a dead run of anybody goes');
  t.true(alive(live.initPid) && alive(kept.initPid));
  // The live run goes on to its own end: its check failed (exit 1), and it tears its sandbox down itself.
  proc.stdin?.write('\n');
  const done = await proc;
  t.is(done.exitCode, 1, out);
  t.regex(out, /sandbox removed/);
  t.false(alive(live.initPid));

  const forced = await lab(['clean', '--all', '--force'], env);
  t.is(forced.exitCode, 0, forced.stdout + forced.stderr);
  t.regex(forced.stdout, new RegExp(`removed sandbox ${kept.runId} `));
  t.true(await waitFor(() => !alive(kept.initPid), 5_000));
  t.deepEqual(journal(dir), []);
});

test('without root, clean removes nothing, says why and what to run, and exits 3', async (t) => {
  const dir = journalDir('lab-clean-nobody-');
  const kept = await keptSandbox(dir);
  t.teardown(() => lab(['clean', kept.runId], { LAB_STATE_DIR: dir }));
  deadEntry(dir, '03-00000b0d', { uid: 65534, user: 'nobody', checkout: ROOT.replace(/\/$/, '') });
  // The journal folder is root's (0700): nobody cannot even read it, and must not be told "nothing to clean".
  for (const args of [['clean'], ['clean', kept.runId], ['clean', '--all'], ['ps']]) {
    const r = await asNobody(args, dir);
    t.is(r.exitCode, 3, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    t.regex(r.stderr, /cannot read the sandbox journal .*: permission denied/);
    t.regex(r.stderr, new RegExp(`hint: run it as root: sudo \\./lab ${args.join(' ')}`));
    t.notRegex(r.stdout, /removed|nothing to clean/);
  }
  // Readable journal: nobody's own dead entry and root's keeper are both refused, and nothing is claimed.
  chmodSync(dir, 0o755);
  const own = await asNobody(['clean'], dir);
  t.is(own.exitCode, 3, own.stdout + own.stderr);
  t.regex(own.stdout, /could not remove sandbox 03-00000b0d .*cannot remove journal entry .*: permission denied/);
  t.regex(own.stderr, /hint: run it as root: sudo \.\/lab clean/);
  // root's kept sandbox is another user's live one: --all leaves it, --all --force tries and is refused.
  t.regex(
    (await asNobody(['clean', '--all'], dir)).stdout,
    new RegExp(`left alone: ${kept.runId} .*of another user \\(root\\): --force removes it`),
  );
  const all = await asNobody(['clean', '--all', '--force'], dir);
  t.is(all.exitCode, 3);
  t.regex(
    all.stdout,
    new RegExp(`could not remove sandbox ${kept.runId} .*cannot stop keeper pid \\d+: permission denied`),
  );
  t.notRegex(own.stdout + all.stdout, /removed sandbox/);
  t.true(alive(kept.initPid));
  t.true(existsSync(join(dir, '03-00000b0d.json')));
  t.deepEqual(
    journal(dir)
      .map((e) => e.runId)
      .sort(),
    ['03-00000b0d', kept.runId].sort(),
  );
  // And root can.
  const root = await lab(['clean', '--all'], { LAB_STATE_DIR: dir });
  t.is(root.exitCode, 0, root.stderr);
  t.true(await waitFor(() => !alive(kept.initPid), 5_000));
  t.deepEqual(journal(dir), []);
});
