// The lab session as front ends drive it: re-runnable checks, a person's shell, live packets, honest failures.
import test from '../helpers/root-test.js';
import { descendants } from '../helpers/procs.js';
import { execa } from 'execa';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as delay } from 'node:timers/promises';
import { formatCheckReport } from '../../src/check/format.js';
import { LabEvents } from '../../src/engine/events.js';
import { loadLab } from '../../src/engine/loader.js';
import { LabSession } from '../../src/engine/session.js';

async function open(ref: string): Promise<{ session: LabSession; events: LabEvents }> {
  const events = new LabEvents();
  const session = await LabSession.open(await loadLab(ref), { events });
  return { session, events };
}

test.serial(
  'lab 03: the masquerade check fails, a person types the rule in the host shell, the same check passes',
  async (t) => {
    const { session } = await open('03-masquerade');
    try {
      const runId = session.runId;
      for (const step of ['bridge', 'veth', 'observe', 'forward']) {
        for (const c of await session.runCommands(step)) t.true(c.ok, `${step}: ${c.display}`);
        t.true((await session.check(step))?.pass, step);
      }
      const before = await session.check('masquerade');
      t.false(before?.pass);
      t.true(
        before?.expectations.some(
          (x) => !x.pass && x.expectation.point === 'host:eth0' && /echo-request/.test(x.message),
        ),
      );
      // The student's shell: the session's argv and environment, typed into on stdin.
      const sh = session.shell('host');
      t.is(sh.env.PS1, '[host]# ');
      const typed = await execa(sh.argv[0]!, sh.argv.slice(1), {
        env: sh.env,
        input: 'iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE\nexit\n',
        reject: false,
      });
      t.is(typed.exitCode, 0, String(typed.stderr));
      const after = await session.check('masquerade');
      t.true(after?.pass, formatCheckReport(after!).join('\n'));
      t.is(session.runId, runId, 'no rebuild');
    } finally {
      await session.close();
    }
  },
);

for (const step of ['long', 'quiet'] as const) {
  test.serial(`a capture child killed during the ${step} window fails the check and names the point`, async (t) => {
    const { session, events } = await open('fixtures/labs/session.ts');
    try {
      const armed = new Promise<void>((resolve) => events.on('capture-ready', () => resolve()));
      const checking = session.check(step);
      await armed;
      await delay(100);
      const victims = descendants('capture/child.js').filter(
        (pid) => !readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('nsenter'),
      );
      t.true(victims.length > 0, 'found the capture child');
      for (const pid of victims) process.kill(pid, 'SIGKILL');
      const r = await checking;
      t.false(r?.pass);
      const eth0 = r?.points.find((p) => p.point === 'host:eth0');
      t.regex(eth0?.error ?? '', /host/);
      t.true(formatCheckReport(r!).some((l) => l.includes('host:eth0')));
      // The next check starts a new capture child and can pass again.
      if (step === 'long') t.true((await session.check(step))?.pass);
    } finally {
      await session.close();
    }
  });
}

test.serial(
  'a capture child that stalls during a must-not-see window fails the check as stalled, naming the point',
  async (t) => {
    const { session, events } = await open('fixtures/labs/session.ts');
    const victims: number[] = [];
    try {
      const armed = new Promise<void>((resolve) => events.on('capture-ready', () => resolve()));
      const checking = session.check('quiet');
      await armed;
      victims.push(
        ...descendants('capture/child.js').filter(
          (pid) => !readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('nsenter'),
        ),
      );
      t.true(victims.length > 0, 'found the capture child');
      for (const pid of victims) process.kill(pid, 'SIGSTOP');
      const r = await checking;
      t.false(r?.pass);
      t.regex(r?.points.find((p) => p.point === 'host:eth0')?.error ?? '', /stalled/);
      t.regex(r?.expectations[0]?.message ?? '', /cannot prove no .* at host:eth0/);
    } finally {
      for (const pid of victims) process.kill(pid, 'SIGCONT');
      await session.close();
    }
  },
);

test('a probe that must succeed but exits 1 fails the check and shows its output', async (t) => {
  const { session } = await open('fixtures/labs/session.ts');
  try {
    const r = await session.check('unreachable');
    t.false(r?.pass);
    const probe = r?.probes[0];
    t.is(probe?.exitCode, 1);
    t.false(probe?.ok);
    const report = formatCheckReport(r!).join('\n');
    t.regex(report, /FAIL probe \[host\] ping .*192\.0\.2\.99: exited 1/);
    t.regex(report, /100% packet loss/);
  } finally {
    await session.close();
  }
});

test('with traffic on, packets keep arriving on the stream while no step runs; off, they stop', async (t) => {
  const { session, events } = await open('fixtures/labs/session.ts');
  try {
    const arrivals: number[] = [];
    events.on('packet', (e) => {
      // The probes' echoes only: IPv6 router solicitations may show up on their own schedule.
      if (e.point === 'host:eth0' && e.packet.icmp?.version === 4) arrivals.push(performance.now());
    });
    session.startTraffic('long');
    const t0 = performance.now();
    await delay(2_000);
    await session.stopTraffic();
    for (let q = 0; q < 4; q++) {
      const inQuarter = arrivals.filter((x) => x >= t0 + q * 500 && x < t0 + (q + 1) * 500).length;
      t.true(inQuarter > 0, `packets between ${q * 500} and ${(q + 1) * 500} ms`);
    }
    await delay(100);
    const n = arrivals.length;
    await delay(500);
    t.is(arrivals.length, n, 'no packets once traffic is off');
  } finally {
    await session.close();
  }
});
