// node dist/bench/check-cost.js: what one check of each lab 03 step costs in CPU, the figure that decides
// a class's latency on a small machine (wall time depends on the load; CPU time does not). One student
// over `lab serve`'s API; after each step's `run`, its check is repeated LAB_CHECK_REPS times (default 10)
// and every process under the server is read before and after each: the server's own CPU, everyone
// else's (keeper, node agents, captures, the commands they ran: a process that ended is counted in its
// parent's), and the processes started (each pid the tree saw). Set LAB_TIMELINE=1 and LAB_SERVE_LOG=FILE
// for the server's timeline of a check's moments (written when it exits).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { api, serve } from '../test/helpers/serve.js';
import { tempDir } from '../test/helpers/temp.js';

const LAB = '03-masquerade';
const REPS = Number(process.env.LAB_CHECK_REPS ?? 10);
const TICK_MS = 10; // USER_HZ is 100 on Linux

interface Proc {
  ppid: number;
  self: number; // utime + stime, ticks
  reaped: number; // cutime + cstime: ended children's, ticks
}

// Every process of the machine with its parent and CPU ticks.
function procs(): Map<number, Proc> {
  const out = new Map<number, Proc>();
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const num = (i: number): number => Number(f[i]);
      out.set(Number(n), { ppid: num(1), self: num(11) + num(12), reaped: num(13) + num(14) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

// The server's own ticks, and the rest of its tree's (live and reaped), and which pids the tree holds.
function sample(root: number): { server: number; others: number; pids: Set<number> } {
  const all = procs();
  const kids = new Map<number, number[]>();
  for (const [pid, p] of all) kids.set(p.ppid, [...(kids.get(p.ppid) ?? []), pid]);
  let others = 0;
  const pids = new Set<number>();
  const walk = (pid: number): void => {
    pids.add(pid);
    const p = all.get(pid);
    if (p && pid !== root) others += p.self + p.reaped;
    for (const c of kids.get(pid) ?? []) walk(c);
  };
  walk(root);
  const r = all.get(root);
  return { server: r?.self ?? 0, others: others + (r?.reaped ?? 0), pids };
}

// One more check of the step under strace (every process of the tree followed): the programs it ran.
async function traced(id: string, token: string): Promise<string> {
  const pids = [...sample(root).pids];
  const st = spawn(
    'strace',
    ['-f', '-z', '-e', 'trace=execve', '-e', 'signal=none', ...pids.flatMap((p) => ['-p', String(p)])],
    {
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  st.stderr.on('data', (d: Buffer) => (err += d.toString()));
  for (let i = 0; i < 200 && (err.match(/attached/g) ?? []).length < pids.length; i++) await delay(20);
  const mark = err.length;
  await api(server.url, 'POST', `/api/labs/${LAB}/steps/${id}/check`, { token });
  await delay(200);
  st.kill('SIGINT');
  await new Promise((r) => st.once('exit', r));
  const names = [...err.slice(mark).matchAll(/execve\("([^"]+)", \[([^\]]*)\]/g)].map((m) =>
    (m[2] ?? '').split(', ').slice(0, 4).join(' ').replace(/"/g, ''),
  );
  const count = new Map<string, number>();
  for (const n of names) count.set(n, (count.get(n) ?? 0) + 1);
  return `${names.length} execs: ${[...count].map(([n, c]) => `${c}x ${n}`).join('; ')}`;
}

const server = await serve(
  ['--labs', LAB, '--data', tempDir('lab-check-cost-'), '--spares', '0'],
  { LAB_STATE_DIR: tempDir('lab-check-cost-state-'), ...(process.env.LAB_TIMELINE ? { LAB_TIMELINE: '1' } : {}) },
  { stderrFile: process.env.LAB_SERVE_LOG ?? '/dev/null' },
);
const root = server.child.pid!;
const rows: string[] = [];
let failed = 0;
try {
  const j = await api<{ token: string }>(server.url, 'POST', '/api/join', { body: { code: server.code, name: 'one' } });
  const token = j.body.token;
  const started = await api<{ steps: { id: string }[] }>(server.url, 'POST', `/api/labs/${LAB}/start`, { token });
  // A live sandbox doing nothing: what its captures and agents cost while the student reads.
  const i0 = sample(root);
  await delay(3000);
  const i1 = sample(root);
  console.log(
    JSON.stringify({
      idleServerCpuMsPerS: ((i1.server - i0.server) * TICK_MS) / 3,
      idleOthersCpuMsPerS: ((i1.others - i0.others) * TICK_MS) / 3,
    }),
  );
  for (const { id } of started.body.steps) {
    const r0 = sample(root);
    await api(server.url, 'POST', `/api/labs/${LAB}/steps/${id}/run`, { token });
    const r1 = sample(root);
    const runCpuMs = (r1.server - r0.server + r1.others - r0.others) * TICK_MS;
    let server_ = 0;
    let others = 0;
    let wall = 0;
    const walls: number[] = [];
    let spawned = 0;
    for (let i = 0; i < REPS; i++) {
      const a = sample(root);
      // Pids seen while the check runs: sampled every few ms in a loop would cost CPU itself, so new
      // processes are counted from the tree's pid counter instead (the machine's last pid, minus others').
      const lastA = Number(readFileSync('/proc/loadavg', 'utf8').trim().split(' ').pop());
      const t0 = performance.now();
      const c = await api<{ passed: boolean; lines: string[] }>(
        server.url,
        'POST',
        `/api/labs/${LAB}/steps/${id}/check`,
        { token },
      );
      const ms = performance.now() - t0;
      const lastB = Number(readFileSync('/proc/loadavg', 'utf8').trim().split(' ').pop());
      const b = sample(root);
      if (!c.body.passed) {
        failed++;
        console.error(`${id}: ${c.body.lines?.join(' | ')}`);
      }
      server_ += b.server - a.server;
      others += b.others - a.others;
      wall += ms;
      walls.push(ms);
      spawned += lastB - lastA;
    }
    if (process.env.LAB_CHECK_STRACE) console.log(`  ${id} runs: ${await traced(id, token)}`);
    const row = {
      step: id,
      serverCpuMs: Math.round((server_ * TICK_MS) / REPS),
      othersCpuMs: Math.round((others * TICK_MS) / REPS),
      wallMs: Math.round(wall / REPS),
      wallMinMs: Math.round(Math.min(...walls)),
      pidsPerCheck: Math.round((spawned / REPS) * 10) / 10,
      runCpuMs,
    };
    rows.push(JSON.stringify(row));
    console.log(JSON.stringify(row));
  }
} finally {
  server.child.kill('SIGTERM');
  await server.child;
}
console.log(
  `${failed} failed checks (of ${rows.length * REPS}); pids: new pids on the machine (threads too), an upper bound`,
);
process.exitCode = failed ? 1 : 0;
