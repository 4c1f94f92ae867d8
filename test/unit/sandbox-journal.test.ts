// `lab ps` and `lab clean` on a fake journal: states, owners, checkouts, and exact reports of what was removed.
import test from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../../src/errors.js';
import { cleanSandboxes } from '../../src/sandbox/clean.js';
import { checkoutRoot, currentOwner } from '../../src/sandbox/proc-info.js';
import { listSandboxes } from '../../src/sandbox/sandboxes.js';
import { writeState, type SandboxState } from '../../src/sandbox/state.js';
import { waitFor } from '../helpers/procs.js';

const DEAD = 2 ** 22 + 12345; // above the default pid_max of 4194304: never a live pid
const me = currentOwner();
const here = checkoutRoot();
const children: ChildProcess[] = [];
test.afterEach.always(() => children.splice(0).forEach((c) => c.kill('SIGKILL')));
// Other runs on this machine (other checkouts' tests) have keepers too: look only at this file's.
const ours = (id: string): boolean => /^0\d-[b-e]{4}000\d$/.test(id);

// A process that looks like a sandbox keeper to `lab ps` (its argv carries the mark and the run id).
function fakeKeeper(runId: string): ChildProcess {
  // `read` is a builtin: no child process that would briefly carry the keeper's mark too.
  const c = spawn('sh', ['-c', 'read x', 'lab-keeper', runId], { stdio: ['pipe', 'ignore', 'ignore'] });
  children.push(c);
  return c;
}

// A journal entry as an older or current version would write it.
function entry(dir: string, s: Partial<SandboxState> & { runId: string }, raw = false): void {
  const full: SandboxState = {
    lab: '03-masquerade',
    outerPid: DEAD,
    initPid: DEAD,
    runnerPid: DEAD,
    kept: false,
    nodes: ['host', 'wan'],
    startedAt: new Date(Date.now() - 60_000).toISOString(),
    ...s,
  };
  writeFileSync(
    join(dir, `${s.runId}.json`),
    JSON.stringify(raw ? full : { uid: me.uid, user: me.user, checkout: here, ...full }),
  );
}

const made: string[] = [];
test.after.always(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

// A fresh journal folder for one test (each test sets LAB_STATE_DIR itself: tests run serially).
function journalDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'lab-journal-'));
  made.push(dir);
  process.env.LAB_STATE_DIR = dir;
  return dir;
}

test.serial('writeState records uid, user and checkout and keeps every older field', (t) => {
  const dir = journalDir();
  const s: SandboxState = {
    runId: '02-aaaa0001',
    lab: '02-bridge-veth',
    outerPid: 1,
    initPid: 2,
    runnerPid: 3,
    kept: true,
    nodes: ['host'],
    containers: { c: 4 },
    startedAt: '2026-01-01T00:00:00.000Z',
  };
  writeState(s);
  const saved = JSON.parse(readFileSync(join(dir, '02-aaaa0001.json'), 'utf8')) as SandboxState;
  t.like(saved, { ...s, uid: me.uid, user: me.user, checkout: here });
  t.true(existsSync(join(here, 'package.json')), 'the checkout is the repository root');
});

test.serial(
  'ps: running, kept and dead, from keeper marks and live runners; a reused runner pid is not alive',
  async (t) => {
    journalDir();
    const kept = fakeKeeper('02-bbbb0001');
    const running = fakeKeeper('03-bbbb0002');
    fakeKeeper('04-bbbb0005'); // a keeper journaled elsewhere
    entry(process.env.LAB_STATE_DIR ?? '', { runId: '02-bbbb0001', kept: true });
    entry(process.env.LAB_STATE_DIR ?? '', {
      runId: '03-bbbb0002',
      runnerPid: process.pid,
      startedAt: new Date().toISOString(),
    });
    entry(process.env.LAB_STATE_DIR ?? '', { runId: '03-bbbb0003' });
    // This process is alive, but it started after this entry: its pid is a reused one, the run is dead.
    entry(process.env.LAB_STATE_DIR ?? '', {
      runId: '03-bbbb0004',
      runnerPid: process.pid,
      startedAt: '2020-01-01T00:00:00.000Z',
    });
    t.true(
      await waitFor(
        () =>
          listSandboxes().sandboxes.filter((s) => ours(s.runId) && (s.journaled || s.keeperPids.length)).length === 5 &&
          listSandboxes().sandboxes.filter((s) => s.keeperPids.length && ours(s.runId)).length === 3,
        5_000,
      ),
    );
    const by = new Map(listSandboxes().sandboxes.map((s) => [s.runId, s]));
    t.like(by.get('02-bbbb0001'), {
      state: 'kept',
      keeperPids: [kept.pid ?? 0],
      mine: true,
      uid: me.uid,
      checkout: here,
      lab: '03-masquerade',
    });
    t.like(by.get('03-bbbb0002'), { state: 'running', keeperPids: [running.pid ?? 0] });
    t.like(by.get('03-bbbb0003'), { state: 'dead', keeperPids: [] });
    t.like(by.get('03-bbbb0004'), { state: 'dead' });
    t.like(by.get('04-bbbb0005'), { journaled: false, lab: '?', mine: false });
    t.true((by.get('03-bbbb0003')?.ageMs ?? 0) >= 60_000);
  },
);

test.serial("clean removes only this user's dead runs from this checkout, and says what it left and why", async (t) => {
  const dir = journalDir();
  const kept = fakeKeeper('02-cccc0001');
  entry(dir, { runId: '02-cccc0001', kept: true });
  entry(dir, { runId: '03-cccc0002' }); // mine, dead
  entry(dir, { runId: '03-cccc0003', uid: me.uid + 1000, user: 'alice' }); // another user's
  entry(dir, { runId: '03-cccc0004', checkout: '/somewhere/else' }); // another checkout's
  entry(dir, { runId: '03-cccc0005' }, true); // an older version's entry: no owner recorded
  t.true(await waitFor(() => listSandboxes().sandboxes.some((s) => s.state === 'kept'), 5_000));
  const r = await cleanSandboxes();
  t.deepEqual(
    r.outcomes.map((o) => [o.runId, o.removed]),
    [['03-cccc0002', [`journal entry ${join(dir, '03-cccc0002.json')}`]]],
  );
  const left = Object.fromEntries(r.left.map((l) => [l.runId, l.why]));
  t.regex(left['02-cccc0001'] ?? '', /kept with --keep: `lab clean 02-cccc0001` removes it/);
  t.regex(left['03-cccc0003'] ?? '', /another user \(alice\)/);
  t.regex(left['03-cccc0004'] ?? '', /another checkout \(\/somewhere\/else\)/);
  t.regex(left['03-cccc0005'] ?? '', /no owner recorded/);
  t.false(existsSync(join(dir, '03-cccc0002.json')));
  for (const id of ['02-cccc0001', '03-cccc0003', '03-cccc0004', '03-cccc0005'])
    t.true(existsSync(join(dir, `${id}.json`)), id);
  t.is(kept.exitCode, null, 'the kept sandbox still runs');
});

test.serial(
  'clean RUN stops that keeper and removes its entry; an unknown RUN is a usage error (exit 2)',
  async (t) => {
    const dir = journalDir();
    const kept = fakeKeeper('02-dddd0001');
    entry(dir, { runId: '02-dddd0001', kept: true, uid: me.uid + 1000 });
    t.true(await waitFor(() => listSandboxes().sandboxes[0]?.state === 'kept', 5_000));
    const e = await t.throwsAsync(cleanSandboxes({ run: '02-nope' }), { instanceOf: UsageError });
    t.is(e?.exitCode, 2);
    t.regex(e?.hint ?? '', /02-dddd0001/);
    const r = await cleanSandboxes({ run: '02-dddd0001' });
    t.is(r.outcomes.length, 1);
    t.is(r.outcomes[0]?.failed, undefined);
    t.deepEqual(r.outcomes[0]?.removed, [
      `stopped keeper pid ${kept.pid}: every process, namespace and mount of the sandbox went with it`,
      `journal entry ${join(dir, '02-dddd0001.json')}`,
    ]);
    t.not(kept.signalCode ?? (await new Promise((res) => kept.once('exit', (_c, s) => res(s)))), null);
    t.false(existsSync(join(dir, '02-dddd0001.json')));
  },
);

test.serial(
  "clean --all lists, then removes every journaled sandbox (and unreadable entries), not other journals' keepers; another checkout's kept one only with force",
  async (t) => {
    const dir = journalDir();
    const kept = fakeKeeper('02-eeee0001');
    const elsewhere = fakeKeeper('02-eeee0009');
    entry(dir, { runId: '02-eeee0001', kept: true, checkout: '/other/checkout' });
    entry(dir, { runId: '03-eeee0002', uid: me.uid + 1000 });
    writeFileSync(join(dir, '03-eeee0003.json'), '{"runId": "03-ee'); // half-written by a crash
    t.true(
      await waitFor(
        () => listSandboxes().sandboxes.filter((s) => s.keeperPids.length && ours(s.runId)).length === 2,
        5_000,
      ),
    );
    const first = await cleanSandboxes({ all: true });
    t.deepEqual(
      first.listed
        .map((s) => s.runId)
        .filter(ours)
        .sort(),
      ['02-eeee0001', '02-eeee0009', '03-eeee0002'],
    );
    t.deepEqual(first.outcomes.map((o) => o.runId).sort(), ['03-eeee0002', '03-eeee0003'], 'dead ones of anybody go');
    t.like(
      first.left.find((l) => l.runId === '02-eeee0001'),
      {
        state: 'kept',
        checkout: '/other/checkout',
        pid: kept.pid,
        why: 'a sandbox kept with --keep of another checkout (/other/checkout): --force removes it',
      },
    );
    t.is(kept.exitCode, null);
    const r = await cleanSandboxes({ all: true, force: true });
    t.deepEqual(r.outcomes.map((o) => o.runId).sort(), ['02-eeee0001']);
    t.true([...first.outcomes, ...r.outcomes].every((o) => !o.failed && o.removed.length > 0));
    t.deepEqual(r.left.map((l) => l.runId).filter(ours), ['02-eeee0009']);
    t.true(
      r.left.every((l) => /another journal/.test(l.why)),
      'with force, only keepers of other journals are left',
    );
    t.true(await waitFor(() => kept.exitCode !== null || kept.signalCode !== null, 5_000));
    t.is(elsewhere.exitCode, null);
    t.false(existsSync(dir), 'the empty journal folder goes too');
  },
);
