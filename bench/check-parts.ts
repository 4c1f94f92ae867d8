// node dist/bench/check-parts.js: the CPU of each part of a lab 03 check, each repeated LAB_PART_REPS
// times (default 40) on one live sandbox (all of lab 03 run): this process's own CPU and that of every
// process under it (agents, captures, the commands they ran), per repetition. What check-cost.ts's
// per-check figure is made of.
import { readdirSync, readFileSync } from 'node:fs';
import type { CaptureHub } from '../src/capture/hub.js';
import { LabEvents } from '../src/engine/events.js';
import { loadLab } from '../src/engine/loader.js';
import { LabSession } from '../src/engine/session.js';
import type { Sandbox } from '../src/sandbox/sandbox.js';

const REPS = Number(process.env.LAB_PART_REPS ?? 40);
const TICK_MS = 10;

// This process's own ticks, and the rest of its tree's (live, and ended children counted by their parents).
function sample(): { self: number; others: number } {
  const all = new Map<number, { ppid: number; self: number; reaped: number }>();
  for (const n of readdirSync('/proc')) {
    if (!/^\d+$/.test(n)) continue;
    try {
      const stat = readFileSync(`/proc/${n}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      all.set(Number(n), {
        ppid: Number(f[1]),
        self: Number(f[11]) + Number(f[12]),
        reaped: Number(f[13]) + Number(f[14]),
      });
    } catch {
      // gone
    }
  }
  const kids = new Map<number, number[]>();
  for (const [pid, p] of all) kids.set(p.ppid, [...(kids.get(p.ppid) ?? []), pid]);
  let others = 0;
  const walk = (pid: number): void => {
    const p = all.get(pid);
    if (p && pid !== process.pid) others += p.self + p.reaped;
    for (const c of kids.get(pid) ?? []) walk(c);
  };
  walk(process.pid);
  const me = all.get(process.pid);
  return { self: me?.self ?? 0, others: others + (me?.reaped ?? 0) };
}

async function cost(name: string, fn: () => Promise<unknown>): Promise<void> {
  const a = sample();
  const t0 = performance.now();
  for (let i = 0; i < REPS; i++) await fn();
  const ms = (performance.now() - t0) / REPS;
  const b = sample();
  const r = (x: number): number => Math.round(((x * TICK_MS) / REPS) * 10) / 10;
  console.log(
    JSON.stringify({
      part: name,
      selfCpuMs: r(b.self - a.self),
      othersCpuMs: r(b.others - a.others),
      wallMs: Math.round(ms * 10) / 10,
    }),
  );
}

const loaded = await loadLab('03-masquerade');
const session = await LabSession.open(loaded, { events: new LabEvents() });
try {
  for (const s of session.steps) await session.runCommands(s.id);
  const { sandbox, hub } = session as unknown as { sandbox: Sandbox; hub: CaptureHub };
  if (process.env.LAB_PART_TRY) {
    for (const cmd of process.env.LAB_PART_TRY.split(';;')) {
      const r = await sandbox.exec('host', cmd);
      console.log(`$ ${cmd}\n${r.exitCode}: ${r.output}`);
    }
  }
  await cost('idle 100 ms', () => new Promise((r) => setTimeout(r, 100)));
  await cost('flush unresolved, all nodes', () => sandbox.flushNeighbours(sandbox.nodes, []));
  await cost('flush unresolved + all in 2', () => sandbox.flushNeighbours(sandbox.nodes, ['host', 'mycontainer']));
  if (process.env.LAB_PART_FLUSH) {
    await cost('ip neigh flush (agent, host)', () => sandbox.exec('host', 'ip neigh flush nud incomplete'));
    await cost('ip -n wan neigh flush (agent, host)', () =>
      sandbox.exec('host', 'ip -n wan neigh flush nud incomplete'),
    );
    await cost('ip neigh flush (agent, container)', () => sandbox.exec('mycontainer', 'ip neigh flush nud incomplete'));
    await cost('sh loop ip -n x3 (agent, host)', () =>
      sandbox.exec('host', 'for n in host wan mycontainer; do ip -n $n neigh flush nud incomplete; done'),
    );
  }
  await cost('window open+close, no traffic', async () =>
    hub.closeWindow(await hub.openWindow(['host:br0', 'host:eth0'])),
  );
  await cost('ping -c 3 answered (agent)', () =>
    sandbox.probe('mycontainer', ['ping', '-n', '-q', '-c', '3', '-i', '0.005', '-W', '1', '203.0.113.8'], 'ping'),
  );
  await cost('true (agent, host)', () => sandbox.exec('host', 'true'));
  await cost('true (agent, container)', () => sandbox.exec('mycontainer', 'true'));
  await cost('conntrack view', () => sandbox.exec('host', 'conntrack -L -p icmp --reply-dst 10.0.2.15'));
  await cost('iptables view', () => sandbox.exec('host', 'iptables -t nat -L POSTROUTING -v -n'));
  await cost('check masquerade (whole)', () => session.check('masquerade'));
} finally {
  await session.close();
}
