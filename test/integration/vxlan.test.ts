// Lab 09 broken on purpose, in a real sandbox: each way a first draft passed for the wrong reason now fails,
// naming what is missing; and `lab verify --each-command` finds the weak fixture lab's spare commands.
import test from '../helpers/root-test.js';
import { fileURLToPath } from 'node:url';
import { formatCheckReport } from '../../src/check/format.js';
import type { CheckResult } from '../../src/check/types.js';
import { LabEvents } from '../../src/engine/events.js';
import type { LabDef } from '../../src/model/lab.js';
import { loadLab, type LoadedLab } from '../../src/engine/loader.js';
import { LabSession } from '../../src/engine/session.js';
import { checkWithout } from '../../src/engine/verify-each.js';
import { verifyLab, verifyLines } from '../../src/engine/verify.js';

// A copy of lab 09 of its own: a test that breaks it must not break the lab the other tests load.
const lab09 = async (): Promise<LoadedLab> => {
  const { def, file } = await loadLab('09-vxlan');
  return { def: structuredClone(def), file };
};

// Every step of `loaded` up to `stepId` as written, then that step's check.
async function checkAt(loaded: LoadedLab, stepId: string): Promise<CheckResult | undefined> {
  const session = await LabSession.open(loaded, { events: new LabEvents() });
  try {
    for (const s of loaded.def.steps) {
      await session.runCommands(s.id);
      if (s.id === stepId) return await session.check(s.id);
    }
    return undefined;
  } finally {
    await session.close();
  }
}

const stepOf = (def: LabDef, id: string) => def.steps.find((s) => s.id === id)!;
const failures = (r: CheckResult | undefined): string =>
  r
    ? formatCheckReport(r)
        .filter((l) => !l.startsWith('PASS'))
        .join('\n')
    : 'no check';

test.serial(
  'without `ip link set vxlan42 master br0` the one-sided tunnel step fails, naming the inner ARP',
  async (t) => {
    t.timeout(120_000);
    const loaded = await lab09();
    const s = stepOf(loaded.def, 'tunnel-m1');
    const ci = s.run.findIndex((c) => c.cmd === 'ip link set vxlan42 master br0');
    t.true(ci >= 0);
    const r = await checkWithout(loaded, {
      stepIndex: loaded.def.steps.indexOf(s),
      commandIndex: ci,
      step: s.id,
      cmd: s.run[ci]!.cmd,
      node: s.run[ci]!.node,
    });
    t.false(r?.pass ?? true, failures(r));
    t.regex(
      failures(r),
      /FAIL expected UDP dport=4789 VXLAN vni=42 carrying ARP request src=10\.42\.0\.1 dst=10\.42\.0\.2 at m1:eth0: not seen/,
    );
  },
);

test.serial('VNI 43 on one side fails naming vni: expected 42, seen 43', async (t) => {
  t.timeout(120_000);
  const loaded = await lab09();
  const m2 = stepOf(loaded.def, 'tunnel-m2');
  const add = m2.run.find((c) => c.cmd.startsWith('ip link add vxlan42'))!;
  add.cmd = add.cmd.replace('id 42', 'id 43');
  const r = await checkAt(loaded, 'tunnel-m2');
  t.false(r?.pass ?? true);
  t.true(formatCheckReport(r!).includes('         vni: expected 42, seen 43'), failures(r));
});

test.serial(
  'a must-not-see of bare ICMP on the underlay passes; without outerOnly it fails naming the encapsulated packets',
  async (t) => {
    t.timeout(120_000);
    const loaded = await lab09();
    const none = stepOf(loaded.def, 'no-bare-icmp').check!.expectations.find((e) => e.kind === 'expect-none')!;
    t.true(none.outerOnly);
    const ok = await checkAt(loaded, 'no-bare-icmp');
    t.true(ok?.pass, failures(ok));
    delete none.outerOnly;
    const r = await checkAt(loaded, 'no-bare-icmp');
    t.false(r?.pass ?? true);
    const x = r!.expectations.find((e) => e.expectation.kind === 'expect-none')!;
    t.regex(
      x.message,
      /^seen \d+ ICMP at m1:eth0 \(\d+ inside a tunnel: a must-not-see looks inside tunnels; \{ outerOnly: true \} counts only the outer packets\), expected none$/,
    );
    t.regex(
      x.nearMisses[0]?.flow ?? '',
      /^encapsulated: 192\.0\.2\.1:\d+ -> 192\.0\.2\.2:4789 UDP len=\d+ ttl=64 VXLAN vni=42 \[10\.42\.0\.1 -> 10\.42\.0\.2 ICMP echo-request/,
    );
  },
);

test.serial(
  'the MTU step fails while either container keeps MTU 1500, naming the fragmentation-needed message',
  async (t) => {
    t.timeout(180_000);
    const loaded = await lab09();
    const s = stepOf(loaded.def, 'mtu');
    const si = loaded.def.steps.indexOf(s);
    for (const [ci, c] of s.run.entries()) {
      const r = await checkWithout(loaded, { stepIndex: si, commandIndex: ci, step: s.id, cmd: c.cmd, node: c.node });
      t.false(r?.pass ?? true, `${c.cmd} left out`);
      const text = failures(r);
      t.regex(text, /FAIL seen \d+ ICMP fragmentation-needed at m\d:veth-c\d, expected none/, text);
      t.regex(text, /FAIL \[c\d\] ip -o link show eth0: output does not match \/mtu 1450 \//, text);
    }
  },
);

test.serial(
  "lab verify --each-command names the weak fixture lab's spare commands; plain per-step verify does not",
  async (t) => {
    t.timeout(300_000);
    const loaded = await loadLab(fileURLToPath(new URL('../../../fixtures/labs/weak-tunnel.ts', import.meta.url)));
    const steps = await verifyLab(loaded, { eachCommand: false });
    t.true(steps.pass, verifyLines(steps).join('\n'));
    t.is(steps.eachCommand, 'not asked');
    const each = await verifyLab(loaded, { eachCommand: true });
    const lines = verifyLines(each);
    t.false(each.pass, lines.join('\n'));
    t.is(each.eachCommand, 'ran');
    t.true(
      lines.includes(
        '  step tunnel: `ip link set vxlan42 master br0` (in m1) can be left out and the step still passes',
      ),
      lines.join('\n'),
    );
    // Every command of m1's half is spare: the check only sees what m2 sends. (Some of m2's may be too: its
    // VXLAN device's own IPv6 chatter crosses to 4789 whether or not the bridge is there.)
    const spare = each.commands!.filter((c) => !c.stepFails).map((c) => c.commandIndex);
    t.deepEqual(
      spare.filter((i) => i < 6),
      [0, 1, 2, 3, 4, 5],
      `spare: ${spare.join(',')}`,
    );
  },
);
