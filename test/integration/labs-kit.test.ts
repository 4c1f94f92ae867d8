// Labs 05-08 and the author's kit on real namespaces: the grown sandbox, the key steps that fail
// naming the missing flow when skipped, `lab verify` on every lab, and `lab new`.
import test from '../helpers/root-test.js';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabEvents, type EventOf } from '../../src/engine/events.js';
import { labIds, loadLab } from '../../src/engine/loader.js';
import { newLabText } from '../../src/engine/new-lab.js';
import { ROOT } from '../../src/engine/paths.js';
import { LabSession } from '../../src/engine/session.js';
import type { VerifyResult } from '../../src/engine/verify.js';
import { lab, runJson, step } from '../helpers/cli.js';

test.serial(
  'the grown sandbox: IPv6 baseline, a declared peer, tools on PATH, no CAP_NET_ADMIN, detached service, restart',
  async (t) => {
    t.timeout(120_000);
    const { cli, result } = await runJson(['fixtures/labs/sandbox-grows.ts']);
    t.is(cli.exitCode, 0, cli.stdout);
    t.deepEqual(
      result.steps.map((s) => [s.id, s.status]),
      [
        ['ipv6', 'passed'],
        ['peer', 'passed'],
        ['tools', 'passed'],
        ['service', 'passed'],
      ],
    );
    const refused = step(result, 'tools').commands[0] as unknown as { exitCode: number; output: string };
    t.regex(refused.output, /Operation not permitted/, 'the locked container cannot touch its links');
  },
);

test.serial('container events reach the engine as events, in order, with addresses', async (t) => {
  t.timeout(120_000);
  const loaded = await loadLab('fixtures/labs/sandbox-grows.ts');
  const events = new LabEvents();
  const seen: EventOf<'container'>[] = [];
  events.on('container', (e) => seen.push(e));
  const session = await LabSession.open(loaded, { events });
  try {
    t.deepEqual(
      seen.map((e) => `${e.event} ${e.container}`).sort(),
      ['started c1', 'started locked'],
      'both containers started with the sandbox',
    );
    seen.length = 0;
    await session.runCommands('service');
    t.deepEqual(
      seen.map((e) => [e.event, e.container, e.addresses.join(',')]),
      [
        ['stopped', 'c1', '192.0.2.2/24'],
        ['address', 'c1', '192.0.2.3/24'],
        ['started', 'c1', '192.0.2.3/24'],
      ],
    );
  } finally {
    await session.close();
  }
});

// Each key step skipped fails its own check, and the failure names the flow that did not happen.
const KEY: [string, string, RegExp][] = [
  ['05-point-to-point', 'nat', /expected ICMP echo-request src=10\.0\.2\.15 dst=203\.0\.113\.8 at host:eth0: not seen/],
  ['05-point-to-point', 'firewall', /seen \d+ TCP dst=10\.171\.1\.2 dport=22 at host:ve-web, expected none/],
  ['06-project-networks', 'stop', /cat \/run\/lab\/containers\.events: output does not match/],
  ['06-project-networks', 'unport', /expected TCP RST,ACK src=10\.0\.2\.15 sport=8080 at host:eth0: not seen/],
  [
    '06-project-networks',
    'same-bridge',
    /expected ICMP echo-request src=10\.1\.2\.2 dst=10\.1\.2\.3 at host:ve-a2: not seen/,
  ],
  ['08-ingress-sync', 'conntrack', /expected UDP dst=172\.17\.0\.4 dport=5000 at host:br0: not seen/],
  ['06-project-networks', 'cleanup', /expected ICMP echo-request dst=10\.1\.2\.2 at host:eth0: not seen/],
  [
    '07-nptv6',
    'mapping',
    /expected ICMPv6 echo-request src=2001:db8:1:1:cf46::2 dst=2001:db8:8::8 at host:eth0: not seen/,
  ],
  ['08-ingress-sync', 'sync', /expected TCP SYN dst=172\.17\.0\.4 dport=80 at host:br0: not seen/],
];
for (const [id, stepId, named] of KEY) {
  test.serial(`${id} --skip ${stepId} fails, naming the missing flow`, async (t) => {
    t.timeout(120_000);
    const { cli, result } = await runJson([id, '--skip', stepId, '--until', stepId]);
    t.is(cli.exitCode, 1, cli.stdout);
    const s = step(result, stepId) as unknown as {
      status: string;
      check: { expectations: { pass: boolean; message: string }[]; looks: { pass: boolean; message: string }[] };
    };
    t.is(s.status, 'failed');
    const failures = [...s.check.expectations, ...s.check.looks].filter((x) => !x.pass).map((x) => x.message);
    t.true(
      failures.some((m) => named.test(m)),
      failures.join('\n'),
    );
  });
}

test.serial(
  '07-nptv6 states the exact translated address and shows the kernel refusing the locked container',
  async (t) => {
    t.timeout(120_000);
    const { cli, result } = await runJson(['07-nptv6']);
    t.is(cli.exitCode, 0, cli.stdout);
    const mapping = step(result, 'mapping');
    t.true(
      mapping.check?.expectations.some((e) => e.pass && e.expectation.matcher.fields.src === '2001:db8:1:1:cf46::2'),
    );
    const refused = step(result, 'privilege').commands.find((c) => c.display.startsWith('nat66')) as unknown as {
      exitCode: number;
      output: string;
      ok: boolean;
    };
    t.is(refused.exitCode, 1);
    t.true(refused.ok, 'expected to fail');
    t.regex(refused.output, /Permission denied/);
  },
);

// Mistakes a reviewer tried, each caught: [lab, step, the mistake (its why), the hint it must draw, a failure it must show].
const TRIED: [string, string, RegExp, RegExp, RegExp][] = [
  [
    '01-namespaces',
    'unshare',
    /unshare --net=FILE before the start/,
    /unshare --net=FILE/,
    /grep -c ' \/run\/netns\/mycontainer '/,
  ],
  ['01-namespaces', 'netns', /unshare --net=FILE, early/, /unshare --net=FILE/, /output does not match \/\^1\$\//],
  [
    '04-port-mapping',
    'dnat',
    /^no port/,
    /must name the port, 172\.17\.0\.100:80/,
    /TCP SYN src=10\.0\.2\.2 dst=172\.17\.0\.100 dport=80 at host:br0/,
  ],
  [
    '04-port-mapping',
    'local',
    /userland proxy/,
    /userland proxy/,
    /TCP SYN src=10\.0\.2\.15 dst=172\.17\.0\.100 dport=80 at host:br0/,
  ],
  [
    '06-project-networks',
    'status',
    /"in" rule deleted/,
    /another rule deleted/,
    /ICMP echo-request dst=203\.0\.113\.8 at host:eth0, expected none/,
  ],
  ['08-ingress-sync', 'sync', /swapped by hand/, /no watcher runs/, /ps -e -o args=/],
  ['08-ingress-sync', 'static', /without -i ts0/, /no -i ts0/, /at host:br0, expected none/],
];

// lab verify --each-command on every lab that ships: it passes as written, each step with commands is
// load-bearing and so is each state-changing command (its step fails without it, naming what is missing),
// and every mistake it declares is caught with its hint (the tried ones among them, failing where they must).
for (const id of labIds()) {
  test.serial(
    `lab verify ${id} passes: every step and command is load-bearing, every mistake caught with its hint`,
    async (t) => {
      t.timeout(600_000);
      const r = await lab(['verify', id, '--each-command', '--json']);
      t.is(r.exitCode, 0, r.stdout + r.stderr);
      const v = JSON.parse(r.stdout) as VerifyResult;
      t.true(v.passesAsWritten);
      for (const s of v.steps.filter((x) => x.commands > 0 && x.checked))
        t.true(s.loadBearing && s.missing.length > 0, `${id} ${s.id}`);
      t.is(v.eachCommand, 'ran');
      t.true((v.commands ?? []).length > 0, `${id}: no state-changing command tried`);
      for (const c of v.commands ?? [])
        t.true(c.stepFails && c.missing.length > 0, `${id} ${c.step}: passed or named nothing without \`${c.cmd}\``);
      if (/^(0[1-8]|1[1-3])-/.test(id))
        t.true(
          v.mistakes.length >= 2 * v.steps.filter((x) => x.commands > 0).length,
          `${id}: ${v.mistakes.length} mistakes`,
        );
      for (const m of v.mistakes) t.true(m.ok && m.caught, `${id} ${m.step}#${m.index + 1}: ${m.hint ?? 'not caught'}`);
      for (const [, stepId, why, hint, failure] of TRIED.filter((x) => x[0] === id)) {
        const m = v.mistakes.find((x) => x.step === stepId && why.test(x.why ?? ''));
        t.truthy(m, `${id} ${stepId}: no mistake ${why}`);
        t.regex(m?.hint ?? '', hint);
        t.true(
          m?.failed.some((f) => failure.test(f)),
          `${id} ${stepId} ${why}: ${m?.failed.join('\n')}`,
        );
      }
    },
  );
}

test.serial(
  'lab verify fails on a mistake its check lets pass, and on one answered with another hint (exit 1)',
  async (t) => {
    t.timeout(120_000);
    const passes = await lab(['verify', 'fixtures/labs/mistake-passes.ts', '--json']);
    t.is(passes.exitCode, 1, passes.stdout + passes.stderr);
    const p = JSON.parse(passes.stdout) as VerifyResult;
    t.true(p.passesAsWritten && p.steps.every((s) => s.loadBearing), 'only the mistake fails it');
    t.deepEqual(
      p.mistakes.map((m) => [m.step, m.caught, m.ok]),
      [['route', false, false]],
    );
    const wrong = await lab(['verify', 'fixtures/labs/mistake-wrong-hint.ts']);
    t.is(wrong.exitCode, 1, wrong.stdout + wrong.stderr);
    t.regex(wrong.stdout, /caught, but the hint does not match \/gateway\/: no route to 192\.0\.2\.0\/24/);
    t.regex(wrong.stdout, /0 of 1 mistakes caught with their hint/);
  },
);

test.serial(
  'lab new writes a lab that passes, fails when its step is skipped, and catches its mistake; lab verify says so',
  async (t) => {
    t.timeout(120_000);
    const dir = join(ROOT, 'dist', `tmp-new-${process.pid}`); // beside dist/src, so the lab's import resolves
    mkdirSync(dir, { recursive: true });
    try {
      const file = join(dir, '99-new-lab.js');
      writeFileSync(file, newLabText('99-new-lab')); // the template is plain JavaScript too
      const r = await lab(['verify', file, '--json']);
      t.is(r.exitCode, 0, r.stdout + r.stderr);
      const v = JSON.parse(r.stdout) as VerifyResult;
      t.deepEqual(
        v.steps.map((s) => [s.id, s.loadBearing]),
        [['address', true]],
      );
      t.deepEqual(
        v.mistakes.map((m) => [m.step, m.caught, m.ok]),
        [['address', true, true]],
        'its one mistake draws its hint',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test.serial(
  'lab new refuses a bad id and an existing lab (exit 2), and lab verify exits 1 for a check that is not load-bearing',
  async (t) => {
    t.timeout(120_000);
    t.is((await lab(['new', 'no-number'])).exitCode, 2);
    const exists = await lab(['new', '03-masquerade']);
    t.is(exists.exitCode, 2);
    t.regex(exists.stderr, /exists already/);
    const r = await lab(['verify', 'fixtures/labs/not-load-bearing.ts']);
    t.is(r.exitCode, 1, r.stdout + r.stderr);
    t.regex(r.stdout, /stray +NOT load-bearing/);
  },
);
