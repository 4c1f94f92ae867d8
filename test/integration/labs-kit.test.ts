// Labs 05-08 and the author's kit on real namespaces: the grown sandbox, the key steps that fail
// naming the missing flow when skipped, `lab verify` on every lab, and `lab new`.
import test from 'ava';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LabEvents, type EventOf } from '../../src/engine/events.js';
import { labIds, loadLab } from '../../src/engine/loader.js';
import { newLabText } from '../../src/engine/new-lab.js';
import { ROOT } from '../../src/engine/paths.js';
import { LabSession } from '../../src/engine/session.js';
import type { VerifyResult } from '../../src/engine/verify.js';
import { lab, runJson, step } from '../helpers/cli.js';

test.serial('the grown sandbox: IPv6 baseline, a declared peer, tools on PATH, no CAP_NET_ADMIN, detached service, restart', async (t) => {
  t.timeout(120_000);
  const { cli, result } = await runJson(['fixtures/labs/sandbox-grows.ts']);
  t.is(cli.exitCode, 0, cli.stdout);
  t.deepEqual(result.steps.map((s) => [s.id, s.status]), [['ipv6', 'passed'], ['peer', 'passed'], ['tools', 'passed'], ['service', 'passed']]);
  const refused = step(result, 'tools').commands[0] as unknown as { exitCode: number; output: string };
  t.regex(refused.output, /Operation not permitted/, 'the locked container cannot touch its links');
});

test.serial('container events reach the engine as events, in order, with addresses', async (t) => {
  t.timeout(120_000);
  const loaded = await loadLab('fixtures/labs/sandbox-grows.ts');
  const events = new LabEvents();
  const seen: EventOf<'container'>[] = [];
  events.on('container', (e) => seen.push(e));
  const session = await LabSession.open(loaded, { events });
  try {
    t.deepEqual(seen.map((e) => `${e.event} ${e.container}`).sort(), ['started c1', 'started locked'], 'both containers started with the sandbox');
    seen.length = 0;
    await session.runCommands('service');
    t.deepEqual(seen.map((e) => [e.event, e.container, e.addresses.join(',')]), [['stopped', 'c1', '192.0.2.2/24'], ['address', 'c1', '192.0.2.3/24'], ['started', 'c1', '192.0.2.3/24']]);
  } finally {
    await session.close();
  }
});

// Each key step skipped fails its own check, and the failure names the flow that did not happen.
const KEY: [string, string, RegExp][] = [
  ['05-point-to-point', 'nat', /expected ICMP echo-request src=10\.0\.2\.15 dst=203\.0\.113\.8 at host:eth0: not seen/],
  ['05-point-to-point', 'firewall', /seen \d+ TCP dst=10\.171\.1\.2 dport=22 at host:ve-web, expected none/],
  ['06-project-networks', 'stop', /expected TCP RST,ACK src=10\.0\.2\.15 sport=8080 at host:eth0: not seen|seen \d+ TCP dst=10\.1\.2\.2 dport=80 at host:lk-alpha, expected none/],
  ['06-project-networks', 'cleanup', /expected ICMP echo-request dst=10\.1\.2\.2 at host:eth0: not seen/],
  ['07-nptv6', 'mapping', /expected ICMPv6 echo-request src=2001:db8:1:1:cf46::2 dst=2001:db8:8::8 at host:eth0: not seen/],
  ['08-ingress-sync', 'sync', /expected TCP SYN dst=172\.17\.0\.4 dport=80 at host:br0: not seen/],
];
for (const [id, stepId, named] of KEY) {
  test.serial(`${id} --skip ${stepId} fails, naming the missing flow`, async (t) => {
    t.timeout(120_000);
    const { cli, result } = await runJson([id, '--skip', stepId, '--until', stepId]);
    t.is(cli.exitCode, 1, cli.stdout);
    const s = step(result, stepId) as unknown as { status: string; check: { expectations: { pass: boolean; message: string }[]; looks: { pass: boolean; message: string }[] } };
    t.is(s.status, 'failed');
    const failures = [...s.check.expectations, ...s.check.looks].filter((x) => !x.pass).map((x) => x.message);
    t.true(failures.some((m) => named.test(m)), failures.join('\n'));
  });
}

test.serial('07-nptv6 states the exact translated address and shows the kernel refusing the locked container', async (t) => {
  t.timeout(120_000);
  const { cli, result } = await runJson(['07-nptv6']);
  t.is(cli.exitCode, 0, cli.stdout);
  const mapping = step(result, 'mapping');
  t.true(mapping.check?.expectations.some((e) => e.pass && e.expectation.matcher.fields.src === '2001:db8:1:1:cf46::2'));
  const refused = step(result, 'privilege').commands.find((c) => c.display.startsWith('nat66')) as unknown as { exitCode: number; output: string; ok: boolean };
  t.is(refused.exitCode, 1);
  t.true(refused.ok, 'expected to fail');
  t.regex(refused.output, /Permission denied/);
});

// lab verify on every lab that ships: it passes as written and each step with commands is load-bearing.
for (const id of labIds()) {
  test.serial(`lab verify ${id} passes: every step with commands is load-bearing`, async (t) => {
    t.timeout(240_000);
    const r = await lab(['verify', id, '--json']);
    t.is(r.exitCode, 0, r.stdout + r.stderr);
    const v = JSON.parse(r.stdout) as VerifyResult;
    t.true(v.passesAsWritten);
    for (const s of v.steps.filter((x) => x.commands > 0 && x.checked)) t.true(s.loadBearing && s.missing.length > 0, `${id} ${s.id}`);
  });
}

test.serial('lab new writes a lab that passes, and fails when its step is skipped; lab verify says so', async (t) => {
  t.timeout(120_000);
  const dir = join(ROOT, 'dist', `tmp-new-${process.pid}`); // beside dist/src, so the lab's import resolves
  mkdirSync(dir, { recursive: true });
  try {
    const file = join(dir, '99-new-lab.js');
    writeFileSync(file, newLabText('99-new-lab')); // the template is plain JavaScript too
    const r = await lab(['verify', file, '--json']);
    t.is(r.exitCode, 0, r.stdout + r.stderr);
    const v = JSON.parse(r.stdout) as VerifyResult;
    t.deepEqual(v.steps.map((s) => [s.id, s.loadBearing]), [['address', true]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('lab new refuses a bad id and an existing lab (exit 2), and lab verify exits 1 for a check that is not load-bearing', async (t) => {
  t.timeout(120_000);
  t.is((await lab(['new', 'no-number'])).exitCode, 2);
  const exists = await lab(['new', '03-masquerade']);
  t.is(exists.exitCode, 2);
  t.regex(exists.stderr, /exists already/);
  const r = await lab(['verify', 'fixtures/labs/not-load-bearing.ts']);
  t.is(r.exitCode, 1, r.stdout + r.stderr);
  t.regex(r.stdout, /stray +NOT load-bearing/);
});
