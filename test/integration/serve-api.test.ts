// `lab serve`'s HTTP API against a real server (a child process, a random port of 127.0.0.1) and real
// sandboxes: joining, lab 03 through run and check, the masquerade rule typed through exec, who may
// call what, progress kept across a restart, and SIGTERM leaving no sandbox behind.
import { execa } from 'execa';
import { WebSocket } from 'ws';
import { readdirSync, readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { join as joinPath } from 'node:path';
import test from '../helpers/root-test.js';
import { tempDir } from '../helpers/temp.js';
import { journal, waitFor } from '../helpers/procs.js';
import { lab } from '../helpers/cli.js';
import { api, serve, type Served } from '../helpers/serve.js';

const LAB = '03-masquerade';
const STEPS = ['bridge', 'veth', 'observe', 'forward', 'masquerade'];
const MASQUERADE = [
  'iptables',
  '-t',
  'nat',
  '-A',
  'POSTROUTING',
  '-s',
  '172.17.0.0/24',
  '!',
  '-o',
  'br0',
  '-j',
  'MASQUERADE',
];

const state = tempDir('lab-serve-state-');
const data = tempDir('lab-serve-data-');
const env = { LAB_STATE_DIR: state };
const args = ['--labs', LAB, '--data', data, '--max-students', '3'];
let server: Served;
const tokens: Record<string, { id: string; token: string }> = {};

type Check = { passed: boolean; lines: string[]; hint: string | null };

// Joins as NAME; the reply's student and token.
async function join(name: string): Promise<{ id: string; token: string }> {
  const r = await api<{ student: { id: string }; token: string }>(server.url, 'POST', '/api/join', {
    body: { code: server.code, name },
  });
  if (r.status !== 201) throw new Error(`join ${name}: ${r.status} ${JSON.stringify(r.body)}`);
  return { id: r.body.student.id, token: r.body.token };
}

// SIGTERM, then the exit code and the state the server left: journal entries and sandboxes in `lab ps`.
async function stop(s: Served): Promise<{ exitCode: number | undefined; journal: number; ps: unknown[] }> {
  s.child.kill('SIGTERM');
  const r = await s.child;
  const ps = await lab(['ps', '--json'], env);
  const listed = (JSON.parse(ps.stdout) as { sandboxes: { lab: string; journaled: boolean }[] }).sandboxes.filter(
    (x) => x.journaled,
  );
  return { exitCode: r.exitCode, journal: journal(state).length, ps: listed };
}

test.serial.before(async () => {
  server = await serve(args, env);
});

test.serial.after.always(async () => {
  // A test that failed before the SIGTERM test (or a --match run) leaves the server up: SIGTERM tears its
  // sandboxes down (SIGKILL would leave their cgroups), SIGKILL only if it does not end in time.
  if (!server || server.child.exitCode !== null) return;
  server.child.kill('SIGTERM');
  const timer = setTimeout(() => server.child.kill('SIGKILL'), 60_000);
  await server.child;
  clearTimeout(timer);
});

test.serial('join: a wrong code is 403, a bad body 400, the right one 201 with a 128-bit token', async (t) => {
  const wrong = await api(server.url, 'POST', '/api/join', { body: { code: 'ZZZZZZ', name: 'Eve' } });
  t.is(wrong.status, 403);
  for (const body of [
    { code: server.code },
    { code: server.code, name: 'A', admin: true },
    { code: server.code, name: 'x'.repeat(41) },
    { code: server.code, name: 'bell\u0007' },
    [1, 2],
  ]) {
    const r = await api(server.url, 'POST', '/api/join', { body });
    t.is(r.status, 400, JSON.stringify(body));
  }
  tokens.ana = await join('Ana');
  tokens.bo = await join('Bo');
  t.is(Buffer.from(tokens.ana.token, 'base64url').length, 16);
  t.not(tokens.ana.token, tokens.bo.token);
});

test.serial('a full class is 503', async (t) => {
  tokens.cy = await join('Cy');
  const r = await api(server.url, 'POST', '/api/join', { body: { code: server.code, name: 'Dee' } });
  t.is(r.status, 503);
});

test.serial('no token is 401, the wrong person 403, on every route', async (t) => {
  const { ana, bo } = tokens as Record<string, { id: string; token: string }>;
  const student = [
    ['POST', `/api/labs/${LAB}/start`],
    ['POST', `/api/labs/${LAB}/steps/bridge/run`],
    ['POST', `/api/labs/${LAB}/exec`],
    ['POST', `/api/labs/${LAB}/steps/bridge/check`],
    ['POST', `/api/labs/${LAB}/steps/bridge/trace`],
    ['POST', `/api/labs/${LAB}/steps/bridge/prediction`],
    ['POST', `/api/labs/${LAB}/steps/bridge/view`],
    ['POST', `/api/labs/${LAB}/stop`],
    ['GET', '/api/me'],
  ] as const;
  const teacher = [
    ['GET', '/api/class'],
    ['GET', '/api/class/export.csv'],
    ['GET', '/api/class/export.json'],
    ['POST', `/api/students/${ana!.id}/kick`],
    ['POST', `/api/students/${ana!.id}/reset`],
  ] as const;
  for (const [m, p] of [
    ...student,
    ...teacher,
    ['GET', `/api/students/${ana!.id}`] as const,
    ['GET', '/api/labs'] as const,
  ]) {
    t.is((await api(server.url, m, p)).status, 401, `${m} ${p} without a token`);
    t.is(
      (await api(server.url, m, p, { token: 'AAAAAAAAAAAAAAAAAAAAAA' })).status,
      401,
      `${m} ${p} with an unknown token`,
    );
  }
  for (const [m, p] of teacher)
    t.is((await api(server.url, m, p, { token: bo!.token })).status, 403, `${m} ${p} as a student`);
  for (const [m, p] of student)
    t.is((await api(server.url, m, p, { token: server.teacherToken })).status, 403, `${m} ${p} as the teacher`);
  t.is(
    (await api(server.url, 'GET', `/api/students/${ana!.id}`, { token: bo!.token })).status,
    403,
    "another student's record",
  );
  t.is(
    (await api(server.url, 'GET', `/api/students/${ana!.id}`, { token: ana!.token })).status,
    200,
    'their own record',
  );
  // Ana still has all her progress: nothing above touched her (the kick and reset were refused).
  t.truthy((await api(server.url, 'GET', '/api/me', { token: ana!.token })).body.id);
});

test.serial('lab 03 step by step through run and check: every check passes', async (t) => {
  t.timeout(300_000);
  const { ana } = tokens as Record<string, { token: string }>;
  const start = await api<{ nodes: string[]; steps: { id: string }[] }>(server.url, 'POST', `/api/labs/${LAB}/start`, {
    token: ana!.token,
  });
  t.is(start.status, 200);
  t.deepEqual(
    start.body.steps.map((s) => s.id),
    STEPS,
  );
  t.true(start.body.nodes.includes('host'));
  for (const step of STEPS) {
    const run = await api<{ ok: boolean }>(server.url, 'POST', `/api/labs/${LAB}/steps/${step}/run`, {
      token: ana!.token,
    });
    t.true(run.body.ok, `${step}: ${JSON.stringify(run.body)}`);
    const check = await api<Check>(server.url, 'POST', `/api/labs/${LAB}/steps/${step}/check`, { token: ana!.token });
    t.is(check.status, 200);
    t.true(check.body.passed, `${step}: ${check.body.lines.join('\n')}`);
  }
  const board = await api<{ students: { name: string; steps: { id: string; passed: boolean | null }[] }[] }>(
    server.url,
    'GET',
    '/api/class',
    { token: server.teacherToken },
  );
  t.deepEqual(
    board.body.students.find((s) => s.name === 'Ana')?.steps.map((s) => s.passed),
    STEPS.map(() => true),
  );
});

test.serial('the masquerade rule typed through exec: the check fails before it, passes after it', async (t) => {
  t.timeout(300_000);
  const { bo } = tokens as Record<string, { token: string }>;
  for (const step of STEPS.slice(0, -1)) {
    const run = await api<{ ok: boolean }>(server.url, 'POST', `/api/labs/${LAB}/steps/${step}/run`, {
      token: bo!.token,
    });
    t.true(run.body.ok, step);
  }
  const before = await api<Check>(server.url, 'POST', `/api/labs/${LAB}/steps/masquerade/check`, { token: bo!.token });
  t.false(before.body.passed);
  t.truthy(before.body.hint);
  const bad = await api(server.url, 'POST', `/api/labs/${LAB}/exec`, {
    token: bo!.token,
    body: { node: 'nosuch', argv: ['true'] },
  });
  t.is(bad.status, 400);
  const exec = await api<{ exitCode: number; stdout: string; stderr: string }>(
    server.url,
    'POST',
    `/api/labs/${LAB}/exec`,
    {
      token: bo!.token,
      body: { node: 'host', argv: MASQUERADE },
    },
  );
  t.is(exec.body.exitCode, 0, exec.body.stderr);
  const after = await api<Check>(server.url, 'POST', `/api/labs/${LAB}/steps/masquerade/check`, { token: bo!.token });
  t.true(after.body.passed, after.body.lines.join('\n'));
});

test.serial("run it for me starts from the step's starting state, whatever was typed in the sandbox", async (t) => {
  t.timeout(300_000);
  const { cy } = tokens as Record<string, { token: string }>;
  const token = cy!.token;
  type Run = { ok: boolean; fresh: boolean; replayed: string[] };
  const start = await api<{ step: string }>(server.url, 'POST', `/api/labs/${LAB}/start`, { token });
  t.is(start.body.step, 'bridge', 'a new student starts at the first step');
  // Steps run in order in an untouched sandbox: in place.
  for (const step of ['bridge', 'veth', 'observe']) {
    const run = await api<Run>(server.url, 'POST', `/api/labs/${LAB}/steps/${step}/run`, { token });
    t.true(run.body.ok, step);
    t.false(run.body.fresh, `${step} ran in the sandbox as it was`);
  }
  // The student breaks forwarding: the FORWARD chain drops everything.
  const drop = await api<{ exitCode: number; stderr: string }>(server.url, 'POST', `/api/labs/${LAB}/exec`, {
    token,
    body: { node: 'host', argv: ['iptables', '-P', 'FORWARD', 'DROP'] },
  });
  t.is(drop.body.exitCode, 0, drop.body.stderr);
  const run = await api<Run>(server.url, 'POST', `/api/labs/${LAB}/steps/forward/run`, { token });
  t.true(run.body.ok, JSON.stringify(run.body));
  const check = await api<Check>(server.url, 'POST', `/api/labs/${LAB}/steps/forward/check`, { token });
  t.true(check.body.passed, check.body.lines.join('\n'));
  t.true(run.body.fresh, 'a new sandbox, since the student typed in this one');
  t.deepEqual(run.body.replayed, ['bridge', 'veth', 'observe']);
  const policy = await api<{ stdout: string }>(server.url, 'POST', `/api/labs/${LAB}/exec`, {
    token,
    body: { node: 'host', argv: ['iptables', '-S', 'FORWARD'] },
  });
  t.regex(policy.body.stdout, /^-P FORWARD ACCEPT$/m, 'the DROP policy typed before is gone');
  // Running the same step again is not from its starting state either: a new sandbox again.
  const again = await api<Run>(server.url, 'POST', `/api/labs/${LAB}/steps/forward/run`, { token });
  t.true(again.body.ok && again.body.fresh, JSON.stringify(again.body));
});

test.serial('the step a student views is kept: GET /api/me and start give it back', async (t) => {
  const { ana } = tokens as Record<string, { token: string }>;
  const token = ana!.token;
  const nope = await api(server.url, 'POST', `/api/labs/${LAB}/steps/nosuch/view`, { token });
  t.is(nope.status, 404);
  const v = await api<{ step: string }>(server.url, 'POST', `/api/labs/${LAB}/steps/observe/view`, { token });
  t.is(v.status, 200);
  t.is(v.body.step, 'observe');
  t.is((await api<{ step: string }>(server.url, 'GET', '/api/me', { token })).body.step, 'observe');
});

test.serial('SIGTERM: exit 0 and no sandbox left; a restart keeps the class, its tokens and progress', async (t) => {
  t.timeout(300_000);
  const { ana } = tokens as Record<string, { id: string; token: string }>;
  const { code, teacherToken } = server;
  const stopped = await stop(server);
  t.is(stopped.exitCode, 0);
  t.is(stopped.journal, 0);
  t.deepEqual(stopped.ps, []);
  server = await serve(args, env);
  t.is(server.code, code);
  t.is(server.teacherToken, teacherToken);
  // The step Ana was looking at, after the restart.
  t.is((await api<{ step: string }>(server.url, 'GET', '/api/me', { token: ana!.token })).body.step, 'observe');
  const me = await api<{ steps: { passed: boolean | null }[]; live: boolean }>(
    server.url,
    'GET',
    `/api/students/${ana!.id}`,
    {
      token: ana!.token,
    },
  );
  t.is(me.status, 200);
  t.deepEqual(
    me.body.steps.map((s) => s.passed),
    STEPS.map(() => true),
  );
  t.false(me.body.live);
  const back = await api<{ step: string }>(server.url, 'POST', `/api/labs/${LAB}/start`, { token: ana!.token });
  t.is(back.body.step, 'observe', 'start brings her back to the step she viewed');
  // Coming back rebuilds the sandbox with the passed steps replayed: masquerade passes with nothing run.
  const check = await api<Check>(server.url, 'POST', `/api/labs/${LAB}/steps/masquerade/check`, { token: ana!.token });
  t.true(check.body.passed, check.body.lines.join('\n'));
  // Guessing the code is slow: after 10 wrong codes in a minute an address is refused, even with the right one.
  for (let i = 0; i < 10; i++)
    t.is((await api(server.url, 'POST', '/api/join', { body: { code: 'WRONG9', name: 'Mallory' } })).status, 403);
  t.is((await api(server.url, 'POST', '/api/join', { body: { code: 'WRONG9', name: 'Mallory' } })).status, 429);
  t.is((await api(server.url, 'POST', '/api/join', { body: { code, name: 'Mallory' } })).status, 429);
  const last = await stop(server);
  t.is(last.exitCode, 0);
  t.is(last.journal, 0);
  t.deepEqual(last.ps, []);
  t.true(await waitFor(() => journal(state).length === 0, 1000));
});

test.serial("an idle student's sandbox is removed, their progress kept; their next call rebuilds it", async (t) => {
  t.timeout(300_000);
  const idleData = tempDir('lab-serve-idle-');
  const s = await serve(['--labs', LAB, '--data', idleData, '--idle-minutes', '0.05', '--spares', '0'], env);
  try {
    const r = await api<{ student: { id: string }; token: string }>(s.url, 'POST', '/api/join', {
      body: { code: s.code, name: 'Idle' },
    });
    const token = r.body.token;
    await api(s.url, 'POST', `/api/labs/${LAB}/steps/bridge/run`, { token });
    t.true((await api<Check>(s.url, 'POST', `/api/labs/${LAB}/steps/bridge/check`, { token })).body.passed);
    t.is(journal(state).length, 1);
    // 3 s idle, swept every second: gone well within the bound.
    t.true(await waitFor(() => journal(state).length === 0, 20_000), 'the idle sandbox was not removed');
    const me = await api<{ live: boolean; steps: { passed: boolean | null }[] }>(s.url, 'GET', '/api/me', { token });
    t.false(me.body.live);
    t.true(me.body.steps[0]?.passed);
    // The next call rebuilds it with the passed step replayed: br0 is there again.
    const ip = await api<{ exitCode: number; stdout: string }>(s.url, 'POST', `/api/labs/${LAB}/exec`, {
      token,
      body: { node: 'host', argv: ['ip', '-br', 'addr', 'show', 'br0'] },
    });
    t.is(ip.body.exitCode, 0);
    t.regex(ip.body.stdout, /172\.17\.0\.1\/24/);
  } finally {
    s.child.kill('SIGTERM');
    t.is((await s.child).exitCode, 0);
  }
  t.is(journal(state).length, 0);
});

test.serial(
  'options: bad ones exit 2 before anything is built; another address than loopback warns without TLS',
  async (t) => {
    for (const bad of [
      ['--port', 'x'],
      ['--tls-cert', '/nonexistent'],
      ['--labs', 'no-such-lab'],
      ['--idle-minutes', '0'],
      ['--host', 'example.org'],
    ]) {
      const r = await lab(['serve', '--data', tempDir('lab-serve-opt-'), ...bad], env);
      t.is(r.exitCode, 2, `${bad.join(' ')}: ${r.stderr}`);
    }
    const log = joinPath(tempDir('lab-serve-log-'), 'stderr');
    const s = await serve(
      ['--labs', LAB, '--data', tempDir('lab-serve-opt-'), '--spares', '0', '--host', '0.0.0.0'],
      { ...env, LAB_MAX_SANDBOXES: '50' },
      {
        stderrFile: log,
      },
    );
    s.child.kill('SIGTERM');
    t.is((await s.child).exitCode, 0);
    t.regex(readFileSync(log, 'utf8'), /^warning: serving plain HTTP on 0\.0\.0\.0/m);
    t.notRegex(readFileSync(log, 'utf8'), /sandboxes at once/, 'room enough for 40 students: no capacity warning');
    const small = joinPath(tempDir('lab-serve-log-'), 'stderr');
    const s2 = await serve(
      ['--labs', LAB, '--data', tempDir('lab-serve-opt-'), '--spares', '0', '--max-students', '5'],
      { ...env, LAB_MAX_SANDBOXES: '3' },
      { stderrFile: small },
    );
    s2.child.kill('SIGTERM');
    await s2.child.catch(() => undefined); // its exit on SIGTERM is the first server's assertion
    t.regex(
      readFileSync(small, 'utf8'),
      /^warning: this machine runs 3 sandboxes at once, .* Set LAB_MAX_SANDBOXES=6 /m,
      'a class larger than the sandbox bound is told before anyone joins',
    );
  },
);

test.serial(
  'a start past the sandbox bound is 503 at once, saying why, with Retry-After; never left waiting',
  async (t) => {
    t.timeout(300_000);
    const slots = tempDir('lab-serve-slots-');
    const s = await serve(
      ['--labs', LAB, '--data', tempDir('lab-serve-full-'), '--spares', '0', '--max-students', '5'],
      {
        ...env,
        LAB_MAX_SANDBOXES: '2',
        LAB_SLOT_DIR: slots,
        LAB_SERVE_SLOT_GRACE_MS: '1000',
      },
    );
    // Another run on the machine holds one of the two slots.
    const other = holdSlot(joinPath(slots, 'slot-1'));
    try {
      await other.held;
      const who = await Promise.all(
        ['Ann', 'Ben', 'Cat'].map(async (name) => {
          const r = await api<{ token: string }>(s.url, 'POST', '/api/join', { body: { code: s.code, name } });
          return r.body.token;
        }),
      );
      const start = (token: string) =>
        api<{ error: string; hint: string }>(s.url, 'POST', `/api/labs/${LAB}/start`, { token, timeoutMs: 60_000 });
      t.is((await start(who[0]!)).status, 200);
      // Room on the server's count, but the machine's last slot is held by that other run: refused after the grace.
      let t0 = performance.now();
      const held = await start(who[1]!);
      t.is(held.status, 503, JSON.stringify(held.body));
      t.true(
        performance.now() - t0 < 20_000,
        `refused within the bound, not left waiting (${performance.now() - t0} ms)`,
      );
      t.regex(held.body.error, /runs 2 sandboxes at once/);
      t.regex(held.body.hint, /LAB_MAX_SANDBOXES/);
      other.kill('SIGKILL');
      await other;
      t.is((await start(who[1]!)).status, 200, 'the slot came free: the start goes through');
      // Both sandboxes are the server's own: the third start is refused at once, with Retry-After.
      t0 = performance.now();
      const full = await start(who[2]!);
      const ms = performance.now() - t0;
      t.is(full.status, 503, JSON.stringify(full.body));
      t.true(ms < 2000, `refused at once (${ms} ms)`);
      t.regex(full.body.error, /this machine runs 2 sandboxes at once/);
      t.regex(full.body.hint, /LAB_MAX_SANDBOXES/);
      t.regex(full.headers.get('retry-after') ?? '', /^\d+$/);
      // Other routes that would build a sandbox say the same.
      const exec = await api(s.url, 'POST', `/api/labs/${LAB}/exec`, {
        token: who[2]!,
        body: { node: 'host', argv: ['true'] },
        timeoutMs: 10_000,
      });
      t.is(exec.status, 503);
      // A student stops: their slot is free, the waiting student's start goes through.
      t.is((await api(s.url, 'POST', `/api/labs/${LAB}/stop`, { token: who[0]! })).status, 200);
      t.is((await start(who[2]!)).status, 200);
    } finally {
      other.kill('SIGKILL');
      await other.catch(() => undefined);
      s.child.kill('SIGTERM');
      t.is((await s.child).exitCode, 0);
    }
  },
);

// The grace is for getting a slot: a start whose slot comes free late in it is built, however long the
// build then takes, never refused halfway.
test.serial('a start whose slot comes free just before the grace ends is built, not refused', async (t) => {
  t.timeout(120_000);
  const slots = tempDir('lab-serve-slots-');
  const own = tempDir('lab-serve-late-state-');
  const s = await serve(['--labs', LAB, '--data', tempDir('lab-serve-late-'), '--spares', '0'], {
    LAB_STATE_DIR: own,
    LAB_MAX_SANDBOXES: '1',
    LAB_SLOT_DIR: slots,
    LAB_SERVE_SLOT_GRACE_MS: '2000',
  });
  const other = holdSlot(joinPath(slots, 'slot-0'));
  try {
    await other.held;
    const { token } = await api<{ token: string }>(s.url, 'POST', '/api/join', {
      body: { code: s.code, name: 'Dee' },
    }).then((r) => r.body);
    const started = api(s.url, 'POST', `/api/labs/${LAB}/start`, { token, timeoutMs: 60_000 });
    // The server waits on the slot (its flock runs on the slot folder); the other run ends 300 ms before
    // the grace does, so the build (over a second) runs past the grace's end.
    t.true(await waitFor(() => waitingOn(slots), 10_000), 'the start never waited for the slot');
    await new Promise((r) => setTimeout(r, 1700));
    other.kill('SIGKILL');
    const r = await started;
    t.is(r.status, 200, JSON.stringify(r.body));
    // Its sandbox stays up: a grace running out during the build would tear it down after the reply.
    const entry = journal(own)[0]?.runId;
    t.truthy(entry, 'no sandbox journaled');
    t.false(await waitFor(() => journal(own)[0]?.runId !== entry, 3000), 'the sandbox was torn down after the start');
  } finally {
    other.kill('SIGKILL');
    await other.catch(() => undefined);
    s.child.kill('SIGTERM');
    await s.child;
  }
});

// Another run holding a sandbox slot: one process holding the lock itself (flock(1) with a command would
// leave it to a child that outlives a kill); `held` resolves once it has it.
function holdSlot(file: string): ReturnType<typeof execa> & { held: Promise<void> } {
  const p = execa('sh', ['-c', 'exec 9>>"$1"; flock -n 9 || exit 1; echo held; exec sleep 300', 'sh', file], {
    reject: false,
  });
  const held = new Promise<void>((resolve, reject) => {
    createInterface({ input: p.stdout! }).once('line', () => resolve());
    void p.then((r) => reject(new Error(`flock: ${r.exitCode} ${String(r.stderr)}`)));
  });
  return Object.assign(p, { held });
}

// True while some process waits on a slot of this folder (the slot script's `flock -w`).
function waitingOn(dir: string): boolean {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .some((pid) => {
      try {
        const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return argv.includes(dir) && argv.some((a) => a.includes('flock -w'));
      } catch {
        return false;
      }
    });
}

test.serial(
  'spares follow the class: one per student who joined and has not started, within the sandbox bound',
  async (t) => {
    t.timeout(300_000);
    const s = await serve(
      ['--labs', LAB, '--data', tempDir('lab-serve-pool-'), '--spares', '1', '--max-students', '6'],
      {
        ...env,
        LAB_MAX_SANDBOXES: '3',
        LAB_SLOT_DIR: tempDir('lab-serve-slots-'),
      },
    );
    type Sandboxes = { students: number; spares: number; sparesReady: number; bound: number };
    const counts = async () =>
      (await api<{ sandboxes: Sandboxes }>(s.url, 'GET', '/api/class', { token: s.teacherToken })).body.sandboxes;
    // Bounded: the spares are built (each a sandbox) or the wait ends with the last counts.
    const settle = async (ready: number): Promise<Sandboxes> => {
      let c = await counts();
      for (const end = Date.now() + 60_000; c.sparesReady < ready && Date.now() < end; c = await counts())
        await new Promise((r) => setTimeout(r, 200));
      return c;
    };
    try {
      t.like(await settle(1), { students: 0, spares: 1, sparesReady: 1, bound: 3 }, '--spares 1 before anyone joins');
      const join = async (name: string) =>
        (await api<{ token: string }>(s.url, 'POST', '/api/join', { body: { code: s.code, name } })).body.token;
      const ann = await join('Ann');
      t.like(await settle(2), { spares: 2, sparesReady: 2 }, 'one more for the student who joined');
      await join('Ben');
      await join('Cat');
      const c = await settle(3);
      t.like(c, { spares: 3, sparesReady: 3 }, 'four wanted, three fit the bound');
      // A start takes a built spare: ready at once.
      const t0 = performance.now();
      t.is((await api(s.url, 'POST', `/api/labs/${LAB}/start`, { token: ann })).status, 200);
      const ms = performance.now() - t0;
      t.true(ms < 1000, `a start from a spare is ready within 1 s (${Math.round(ms)} ms)`);
      const after = await counts();
      t.is(after.students, 1);
      t.true(after.students + after.spares <= 3, JSON.stringify(after));
    } finally {
      s.child.kill('SIGTERM');
      t.is((await s.child).exitCode, 0);
    }
  },
);

test.serial(
  "the page's run it for me after typing in a terminal: a new sandbox, the check passes, the terminal reattaches to it",
  async (t) => {
    t.timeout(300_000);
    const s = await serve(['--labs', LAB, '--data', tempDir('lab-serve-term-'), '--spares', '1'], env);
    const url = new URL('/ws/lab', s.url);
    url.protocol = 'ws:';
    const ws = new WebSocket(url, { origin: new URL(s.url).origin });
    const got: Record<string, unknown>[] = [];
    let out = '';
    ws.on('message', (raw: Buffer) => {
      const m = JSON.parse(raw.toString()) as Record<string, unknown>;
      got.push(m);
      if (m.t === 'term' && m.node === 'host') out += String(m.data);
    });
    // Bounded wait for a condition on what the socket brought.
    const until = async (what: string, ok: () => boolean, ms = 60_000): Promise<void> => {
      for (const end = Date.now() + ms; !ok(); await new Promise((r) => setTimeout(r, 100)))
        if (Date.now() > end) throw new Error(`no ${what}: ${JSON.stringify(got.slice(-5)).slice(0, 600)}`);
    };
    try {
      const token = (await api<{ token: string }>(s.url, 'POST', '/api/join', { body: { code: s.code, name: 'Dan' } }))
        .body.token;
      await api(s.url, 'POST', `/api/labs/${LAB}/start`, { token });
      for (const step of ['bridge', 'veth', 'observe'])
        t.false(
          (await api<{ fresh: boolean }>(s.url, 'POST', `/api/labs/${LAB}/steps/${step}/run`, { token })).body.fresh,
        );
      await until('the socket open', () => ws.readyState === ws.OPEN, 10_000);
      ws.send(JSON.stringify({ t: 'auth', token }));
      ws.send(JSON.stringify({ t: 'term-open', node: 'host', cols: 100, rows: 30 }));
      await until('prompt', () => /\[host\]/.test(out));
      ws.send(JSON.stringify({ t: 'term-in', node: 'host', data: 'iptables -P FORWARD DROP; echo typed-$((6*7))\r' }));
      await until('the typed command', () => out.includes('typed-42'));
      const labs = () => got.filter((m) => m.t === 'lab').length;
      const before = labs();
      ws.send(JSON.stringify({ t: 'run', step: 'forward' }));
      await until('the check', () => got.some((m) => m.t === 'check' && m.step === 'forward'));
      const check = got.find((m) => m.t === 'check' && m.step === 'forward') as { passed: boolean; lines: string[] };
      t.true(check.passed, check.lines.join('\n'));
      await until('the lab again (the page reattaches its terminals)', () => labs() > before);
      t.true(
        got.some((m) => m.t === 'cmd' && /ip_forward=1/.test(String(m.command))),
        "the page heard the step's command run in the new sandbox",
      );
      out = '';
      ws.send(JSON.stringify({ t: 'term-open', node: 'host', cols: 100, rows: 30 }));
      await until('a prompt in the new sandbox', () => /\[host\]/.test(out));
      ws.send(JSON.stringify({ t: 'term-in', node: 'host', data: 'iptables -S FORWARD\r' }));
      await until('the policy', () => /-P FORWARD (ACCEPT|DROP)/.test(out));
      t.regex(out, /-P FORWARD ACCEPT/, 'the terminal is in the new sandbox, without the DROP typed before');
    } finally {
      ws.close();
      s.child.kill('SIGTERM');
      t.is((await s.child).exitCode, 0);
    }
  },
);
