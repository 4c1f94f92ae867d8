// Check windows that start clean: what a student did before the check (a ping that cached a neighbour),
// and probes queued by an earlier window behind an unanswered ARP, never change what a check sees.
import test from '../helpers/root-test.js';
import { execa } from 'execa';
import { formatCheckReport } from '../../src/check/format.js';
import { LabEvents } from '../../src/engine/events.js';
import { loadLab } from '../../src/engine/loader.js';
import { LabSession } from '../../src/engine/session.js';
import { BASELINE_SYSCTLS } from '../../src/sandbox/topology.js';
import { lab } from '../helpers/cli.js';

const RUNS = 20;

// Each pinned sysctl as every node of the session reads it ("missing" where its kernel lacks it).
async function readSysctls(session: LabSession): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const node of session.nodes) {
    const sh = session.shell(node, [
      'sh',
      '-c',
      BASELINE_SYSCTLS.map((s) => `cat /proc/sys/${s.key.replaceAll('.', '/')} 2>/dev/null || echo missing`).join('; '),
    ]);
    const r = await execa(sh.argv[0]!, sh.argv.slice(1), { env: sh.env, reject: false, timeout: 10_000 });
    String(r.stdout)
      .split('\n')
      .forEach((v, i) => (out[`${node} ${BASELINE_SYSCTLS[i]?.key}`] = v.trim()));
  }
  return out;
}

test.serial(
  "every node starts with the pinned sysctls, br_netfilter's bridge-nf-call-* at 0 included (the real machine has 1)",
  async (t) => {
    const session = await LabSession.open(await loadLab('fixtures/labs/windows.ts'), { events: new LabEvents() });
    try {
      const want = Object.fromEntries(
        session.nodes.flatMap((n) => BASELINE_SYSCTLS.map((s) => [`${n} ${s.key}`, s.value])),
      );
      t.deepEqual(await readSysctls(session), want);
    } finally {
      await session.close();
    }
  },
);

test.serial(
  `--check of a lab that pings the gateway before its ARP check, then sends probes behind an unanswered ARP: ${RUNS} of ${RUNS} pass`,
  async (t) => {
    t.timeout(400_000); // twenty runs of a three-step lab, on a loaded machine
    const failed: string[] = [];
    for (let i = 0; i < RUNS; i++) {
      const r = await lab(['run', 'fixtures/labs/windows.ts', '--check']);
      if (r.exitCode !== 0)
        failed.push(
          `run ${i + 1}: exit ${r.exitCode}\n${r.stdout
            .split('\n')
            .filter((l) => /FAIL|=>/.test(l))
            .join('\n')}`,
        );
    }
    t.deepEqual(failed, [], failed.join('\n'));
  },
);

test.serial(
  `lab 02 veth: the container pings its gateway before each check, and the check passes ${RUNS} of ${RUNS}`,
  async (t) => {
    t.timeout(300_000); // twenty checks, on a loaded machine
    const session = await LabSession.open(await loadLab('02-bridge-veth'), { events: new LabEvents() });
    try {
      for (const c of await session.runCommands('bridge')) t.true(c.ok, c.display);
      t.true((await session.check('bridge'))?.pass);
      for (const c of await session.runCommands('veth')) t.true(c.ok, c.display);
      const sysctls = await readSysctls(session);
      t.is(sysctls['mycontainer net.bridge.bridge-nf-call-iptables'], '0', 'a container is pinned too');
      t.is(sysctls['host net.bridge.bridge-nf-call-iptables'], '0', 'the host, where br0 is');
      const sh = session.shell('mycontainer', ['ping', '-c1', '-W1', '172.17.0.1']);
      const failed: string[] = [];
      for (let i = 0; i < RUNS; i++) {
        const pinged = await execa(sh.argv[0]!, sh.argv.slice(1), { env: sh.env, reject: false, timeout: 10_000 });
        t.is(pinged.exitCode, 0, String(pinged.stdout));
        const r = await session.check('veth');
        if (!r?.pass) failed.push(`try ${i + 1}:\n${formatCheckReport(r!).join('\n')}`);
      }
      t.deepEqual(failed, [], failed.join('\n'));
    } finally {
      await session.close();
    }
  },
);
