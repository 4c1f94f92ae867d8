// npm run test:serve-load: simulated students over `lab serve`'s API, each running all of lab 03 (run
// and check every step) at once, at 1, 10 and 30 students (LAB_SERVE_LOAD="1,10,30" to change). Each
// round's students join, then (as in a class, while the teacher hands out the code) the server builds
// their spares (LAB_SERVE_COLD=1 starts them at once instead), then they all start, each opens a
// terminal into host (the page's WebSocket) and keeps it open. Prints, per round: whether every check
// passed, check latency p50/p95, start latency, how long the spares took, and memory per live student
// (the PSS and RSS of every process under the server: keepers, node agents, captures, terminals, the
// server's share). LAB_SERVE_SPARES sets --spares (default 2).
import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { setTimeout as delay } from 'node:timers/promises';
import { WebSocket } from 'ws';
import { api, serve } from '../test/helpers/serve.js';
import { tempDir } from '../test/helpers/temp.js';

const LAB = '03-masquerade';
const ROUNDS = (process.env.LAB_SERVE_LOAD ?? '1,10,30').split(',').map(Number);
const MAX = Math.max(...ROUNDS);
const COLD = process.env.LAB_SERVE_COLD === '1';
const SPARES = process.env.LAB_SERVE_SPARES ?? '2';
const POOL_WAIT_MS = 300_000;
const TERMINAL_WAIT_MS = 60_000;

// A terminal into host as the student's page opens one: the lab socket, the token as its first
// message, then term-open; resolves with the socket once the shell printed its first output.
async function openTerminal(base: string, token: string): Promise<WebSocket> {
  const url = new URL('/ws/lab', base);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  const ws = new WebSocket(url, { origin: new URL(base).origin });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the terminal did not open')), TERMINAL_WAIT_MS);
    ws.once('error', reject);
    ws.once('close', (code) => reject(new Error(`the lab socket closed (${code})`)));
    ws.once('open', () => {
      ws.send(JSON.stringify({ t: 'auth', token }));
      ws.send(JSON.stringify({ t: 'term-open', node: 'host', cols: 100, rows: 30 }));
    });
    ws.on('message', (raw: Buffer) => {
      const m = JSON.parse(raw.toString()) as { t: string; node?: string; message?: string };
      if (m.t === 'term' && m.node === 'host') {
        clearTimeout(timer);
        resolve();
      } else if (m.t === 'error') {
        clearTimeout(timer);
        reject(new Error(`term-open: ${m.message}`));
      }
    });
  });
  ws.removeAllListeners('close');
  return ws;
}

type Sandboxes = { students: number; spares: number; sparesReady: number; bound: number };

// The server's sandboxes, as the teacher's API tells them.
async function sandboxes(base: string, teacher: string): Promise<Sandboxes> {
  return (await api<{ sandboxes: Sandboxes }>(base, 'GET', '/api/class', { token: teacher })).body.sandboxes;
}

// Waits (bounded) until the server built every spare it wants; how long that took.
async function poolFilled(base: string, teacher: string): Promise<number> {
  const t0 = performance.now();
  let last: Sandboxes | undefined;
  await delay(200); // the spares asked for at the joins are counted
  while (performance.now() - t0 < POOL_WAIT_MS) {
    last = await sandboxes(base, teacher);
    if (last.sparesReady >= last.spares) return performance.now() - t0;
    await delay(250);
  }
  throw new Error(`the spares were not built within ${POOL_WAIT_MS} ms: ${JSON.stringify(last)}`);
}

// Every process under pid (itself included), from /proc's parent links.
function tree(pid: number): number[] {
  const parent = new Map<number, number[]>();
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parent.set(ppid, [...(parent.get(ppid) ?? []), Number(n)]);
    } catch {
      // gone meanwhile
    }
  }
  const out: number[] = [];
  const walk = (p: number): void => {
    out.push(p);
    for (const c of parent.get(p) ?? []) walk(c);
  };
  walk(pid);
  return out;
}

// PSS and RSS in KiB of a set of processes (PSS shares each shared page among its users: it adds up).
function memory(pids: number[]): { pssKiB: number; rssKiB: number; count: number } {
  let pssKiB = 0;
  let rssKiB = 0;
  let count = 0;
  for (const p of pids) {
    try {
      const t = readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      pssKiB += Number(/^Pss:\s+(\d+)/m.exec(t)?.[1] ?? 0);
      rssKiB += Number(/^Rss:\s+(\d+)/m.exec(t)?.[1] ?? 0);
      count++;
    } catch {
      // a kernel thread or gone
    }
  }
  return { pssKiB, rssKiB, count };
}

// What the processes are, by command name: how many of each, and their PSS.
function byName(pids: number[]): Record<string, { n: number; pssMiB: number }> {
  const out: Record<string, { n: number; pssMiB: number }> = {};
  for (const p of pids) {
    try {
      const name = readFileSync(`/proc/${p}/comm`, 'utf8').trim();
      const pss = Number(/^Pss:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
      const e = (out[name] ??= { n: 0, pssMiB: 0 });
      e.n++;
      e.pssMiB = Math.round((e.pssMiB + pss / 1024) * 10) / 10;
    } catch {
      // gone
    }
  }
  return out;
}

const pct = (xs: number[], q: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return Math.round(s[Math.min(s.length - 1, Math.floor(q * s.length))] ?? NaN);
};

const stateDir = tempDir('lab-serve-load-state-');
const server = await serve(
  [
    '--labs',
    LAB,
    '--data',
    tempDir('lab-serve-load-'),
    '--max-students',
    String(MAX * ROUNDS.length + 5),
    '--spares',
    SPARES,
  ],
  {
    LAB_STATE_DIR: stateDir,
    // A round's students and a spare for each beside the --spares: the machine's default bound (6 per
    // CPU) would refuse the 13th start.
    LAB_MAX_SANDBOXES: String(2 * MAX + Number(SPARES) + 2),
  },
  { stderrFile: process.env.LAB_SERVE_LOG ?? '/dev/null' },
);
const pid = server.child.pid!;
// The spares (lab serve builds 2 ahead) are up once their journal entries are written; then their
// captures settle. As in a class: the teacher hands out the code meanwhile.
const journalDir = stateDir;
for (let i = 0; i < 600 && readdirSync(journalDir).filter((n) => n.endsWith('.json')).length < Number(SPARES); i++)
  await delay(100);
await poolFilled(server.url, server.teacherToken);
await delay(1000);
const idle = memory(tree(pid));
console.log(`server alone: ${(idle.pssKiB / 1024).toFixed(1)} MiB PSS (${idle.count} processes)`);
type Check = { passed: boolean; lines: string[] };
const results: Record<string, unknown>[] = [];
try {
  let seq = 0;
  for (const n of ROUNDS) {
    const students = await Promise.all(
      Array.from({ length: n }, async () => {
        const r = await api<{ token: string }>(server.url, 'POST', '/api/join', {
          body: { code: server.code, name: `student ${++seq}` },
        });
        if (r.status !== 201) throw new Error(`join: ${r.status}`);
        return r.body.token;
      }),
    );
    const load0 = loadavg()[0]!;
    const poolMs = COLD ? 0 : await poolFilled(server.url, server.teacherToken);
    const pool = await sandboxes(server.url, server.teacherToken);
    const startMs: number[] = [];
    const steps = await Promise.all(
      students.map(async (token) => {
        const t0 = performance.now();
        const r = await api<{ steps: { id: string }[] }>(server.url, 'POST', `/api/labs/${LAB}/start`, { token });
        startMs.push(performance.now() - t0);
        if (r.status !== 200) throw new Error(`start: ${r.status} ${JSON.stringify(r.body)}`);
        return r.body.steps.map((s) => s.id);
      }),
    );
    const terminals = await Promise.all(students.map((token) => openTerminal(server.url, token)));
    await delay(500); // the captures' first packets and allocations settle
    const live = memory(tree(pid));
    const names = byName(tree(pid));
    const checkMs: number[] = [];
    let failed = 0;
    await Promise.all(
      students.map(async (token, i) => {
        for (const step of steps[i] ?? []) {
          await api(server.url, 'POST', `/api/labs/${LAB}/steps/${step}/run`, { token });
          const t0 = performance.now();
          const c = await api<Check>(server.url, 'POST', `/api/labs/${LAB}/steps/${step}/check`, { token });
          checkMs.push(performance.now() - t0);
          if (!c.body.passed) {
            failed++;
            console.error(`student ${i + 1} ${step}: ${c.body.lines?.join(' | ') ?? JSON.stringify(c.body)}`);
          }
        }
      }),
    );
    const row = {
      students: n,
      checks: checkMs.length,
      failed,
      checkP50Ms: pct(checkMs, 0.5),
      checkP95Ms: pct(checkMs, 0.95),
      sparesBefore: pool.sparesReady,
      poolFillMs: Math.round(poolMs),
      startP50Ms: pct(startMs, 0.5),
      startMaxMs: Math.round(Math.max(...startMs)),
      pssPerStudentMiB: Math.round(((live.pssKiB - idle.pssKiB) / n / 1024) * 10) / 10,
      rssPerStudentMiB: Math.round(((live.rssKiB - idle.rssKiB) / n / 1024) * 10) / 10,
      totalPssMiB: Math.round(live.pssKiB / 1024),
      processes: live.count,
      load: `${load0.toFixed(1)} -> ${loadavg()[0]!.toFixed(1)}`,
    };
    results.push(row);
    console.log(JSON.stringify(row));
    console.log(`  processes by name: ${JSON.stringify(names)}`);
    for (const ws of terminals) ws.close();
    await Promise.all(students.map((token) => api(server.url, 'POST', `/api/labs/${LAB}/stop`, { token })));
  }
} finally {
  server.child.kill('SIGTERM');
  await server.child;
}
console.log(
  '\nstudents  checks  failed  check p50  check p95  start p50  start max  spares built  PSS/student  RSS/student  load',
);
for (const r of results)
  console.log(
    `${String(r.students).padStart(8)}  ${String(r.checks).padStart(6)}  ${String(r.failed).padStart(6)}  ${String(r.checkP50Ms).padStart(6)} ms  ${String(r.checkP95Ms).padStart(6)} ms  ${String(r.startP50Ms).padStart(6)} ms  ${String(r.startMaxMs).padStart(6)} ms  ${String(r.sparesBefore).padStart(3)} in ${(Number(r.poolFillMs) / 1000).toFixed(1).padStart(5)} s  ${String(r.pssPerStudentMiB).padStart(7)} MiB  ${String(r.rssPerStudentMiB).padStart(7)} MiB  ${String(r.load)}`,
  );
process.exitCode = results.every((r) => r.failed === 0) ? 0 : 1;
