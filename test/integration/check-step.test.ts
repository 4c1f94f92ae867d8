// `lab check RUN STEP`: one step of a kept sandbox checked as it is now, after a person typed its
// commands in `lab shell`; exit codes as in --check, 2 for an unknown run or step, 3 for a dead or
// tampered sandbox; `lab check LAB` stays the alias of `lab run LAB --check`.
import test from '../helpers/root-test.js';
import { lab, type CliResult, type JsonResult, type JsonStep } from '../helpers/cli.js';
import { alive, journal, pidNamespace, processesIn, waitFor } from '../helpers/procs.js';
import { tempDir } from '../helpers/temp.js';

const LAB = '02-bridge-veth';

// A sandbox of lab 02 kept just before STEP's commands (`--until STEP --skip STEP --keep`), removed with
// `lab clean RUN` when the test ends; `run` is what that kept run printed.
async function keptBefore(
  t: { teardown: (fn: () => Promise<void>) => void },
  step: string,
): Promise<{ id: string; env: Record<string, string>; run: CliResult; initPid: number }> {
  const env = { LAB_STATE_DIR: tempDir('lab-check-step-') };
  const run = await lab(['run', LAB, '--check', '--until', step, '--skip', step, '--keep', '--reporter', 'plain'], env);
  const entry = journal(env.LAB_STATE_DIR)[0];
  if (!entry) throw new Error(`no sandbox kept (exit ${run.exitCode}):\n${run.stdout}\n${run.stderr}`);
  t.teardown(async () => void (await lab(['clean', entry.runId], env)));
  return { id: entry.runId, env, run, initPid: entry.initPid };
}

test.serial(
  'a step typed by hand in a kept sandbox: lab check RUN STEP fails with the hint, then passes',
  async (t) => {
    const { id, env, run } = await keptBefore(t, 'veth');
    // --until veth --skip veth --keep: the run stops after veth and keeps the sandbox, veth's commands left out.
    t.regex(run.stdout, /-- step 2\/2 veth: .*\[commands skipped\]/);
    t.regex(run.stdout, new RegExp(`remove it with: lab clean ${id}`));
    const shell = (node: string, line: string): Promise<CliResult> => lab(['shell', id, node, 'sh', '-c', line], env);
    const links = await shell('host', 'ip -o link show');
    t.regex(links.stdout, /: br0: .*UP/, 'the bridge step ran');
    t.notRegex(links.stdout, /veth1/, "veth's commands did not run");

    // Nothing typed yet: a failure, with the root cause and the hint, as in --check.
    const none = await lab(['check', id, 'veth'], env);
    t.is(none.exitCode, 1, `${none.stdout}\n${none.stderr}`);
    t.regex(none.stdout, /-- step 2\/2 veth: Plug the container into br0/);
    t.regex(none.stdout, /Root cause: /);
    t.regex(none.stdout, /Hint: /);
    t.regex(none.stdout, /=> veth: failed/);
    t.regex(none.stdout, new RegExp(`${LAB}: step veth of sandbox ${id}: FAILED`));

    // Every command but the one that plugs veth1 into the bridge: the hint names it.
    t.is(
      (await shell('host', 'ip link add veth1 type veth peer name eth0 netns mycontainer && ip link set dev veth1 up'))
        .exitCode,
      0,
    );
    t.is(
      (
        await shell(
          'mycontainer',
          'ip addr add 172.17.0.100/24 dev eth0 && ip link set dev eth0 up && ip link set lo up && ip route add default via 172.17.0.1',
        )
      ).exitCode,
      0,
    );
    const unplugged = await lab(['check', id, 'veth'], env);
    t.is(unplugged.exitCode, 1, `${unplugged.stdout}\n${unplugged.stderr}`);
    t.regex(unplugged.stdout, /Hint: .*ip link set dev veth1 master br0/);

    // The last command: the step passes, and --json gives its record as `lab run --json` does.
    t.is((await shell('host', 'ip link set dev veth1 master br0')).exitCode, 0);
    const pass = await lab(['check', id, 'veth'], env);
    t.is(pass.exitCode, 0, `${pass.stdout}\n${pass.stderr}`);
    t.regex(pass.stdout, /PASS seen 1 ARP request src=172\.17\.0\.100 dst=172\.17\.0\.1 at host:veth1/);
    t.regex(pass.stdout, new RegExp(`${LAB}: step veth of sandbox ${id}: PASSED`));
    const json = await lab(['check', id, 'veth', '--json'], env);
    t.is(json.exitCode, 0, json.stderr);
    const step = JSON.parse(json.stdout) as JsonStep;
    t.like(step, { id: 'veth', status: 'passed', skipped: false, commands: [], check: { pass: true } });
    const whole = await lab(['run', LAB, '--check', '--json'], env);
    const ran = (JSON.parse(whole.stdout) as JsonResult).steps.find((s) => s.id === 'veth');
    t.deepEqual(Object.keys(step).sort(), Object.keys(ran ?? {}).sort(), 'the same record as a step of lab run --json');

    // The check is judged again the same way: the neighbour caches its ARP expectation depends on were forgotten.
    const again = await lab(['check', id, 'veth'], env);
    t.is(again.exitCode, 0, again.stdout);

    // It left nothing running in the sandbox (its command runners and captures ended).
    const ps = await shell('host', 'ps -eo args');
    t.notRegex(ps.stdout, /perl|agent|capture/, ps.stdout);
  },
);

test.serial('lab check RUN STEP: an unknown step or run is exit 2, naming it and the valid ones', async (t) => {
  const { id, env } = await keptBefore(t, 'bridge');
  const step = await lab(['check', id, 'bridges'], env);
  t.is(step.exitCode, 2, `${step.stdout}\n${step.stderr}`);
  t.regex(step.stderr, new RegExp(`lab ${LAB} \\(sandbox ${id}\\) has no step "bridges"`));
  t.regex(step.stderr, /its steps are: bridge, veth/);
  const run = await lab(['check', '02-00000000', 'bridge'], env);
  t.is(run.exitCode, 2, `${run.stdout}\n${run.stderr}`);
  t.regex(run.stderr, /no running or kept sandbox matches "02-00000000"/);
  t.regex(run.stderr, new RegExp(`sandboxes: ${id} \\(${LAB}, kept\\)`));
  const json = await lab(['check', id, 'bridges', '--json'], env);
  t.is(json.exitCode, 2);
  t.like(JSON.parse(json.stdout), { exitCode: 2, status: 'error', error: { code: 'UNKNOWN_STEP' } });
  // A whole run's options mean nothing for one step: refused, nothing checked.
  const keep = await lab(['check', id, 'bridge', '--keep'], env);
  t.is(keep.exitCode, 2, keep.stderr);
  t.regex(keep.stderr, /--keep is for a whole run/);
});

test.serial(
  'lab check RUN STEP refuses a replaced namespace, and a dead sandbox is exit 3 with what to run',
  async (t) => {
    const { id, env, initPid } = await keptBefore(t, 'bridge');
    const pidns = pidNamespace(initPid) ?? 'none';
    const typed = 'ip link add br0 type bridge && ip addr add 172.17.0.1/24 dev br0 && ip link set dev br0 up';
    t.is((await lab(['shell', id, 'host', 'sh', '-c', typed], env)).exitCode, 0);
    const pass = await lab(['check', id, 'bridge'], env);
    t.is(pass.exitCode, 0, `${pass.stdout}\n${pass.stderr}`);
    // The sandbox's root swaps wan's pinned network namespace for a new one: the real root refuses to enter.
    const swap = await lab(['shell', id, 'host', 'sh', '-c', 'ip netns del wan && ip netns add wan'], env);
    t.is(swap.exitCode, 0, swap.stderr);
    const tampered = await lab(['check', id, 'bridge'], env);
    t.is(tampered.exitCode, 3, `${tampered.stdout}\n${tampered.stderr}`);
    t.regex(tampered.stderr, new RegExp(`refusing to enter wan of sandbox ${id}`));
    t.notRegex(tampered.stdout, /PASS|FAIL/, 'nothing was checked');
    // Its keeper killed: the sandbox is dead, and lab check says how to remove what is left.
    process.kill(initPid, 'SIGKILL');
    t.true(await waitFor(() => !alive(initPid) && processesIn(pidns).length === 0, 10_000), 'the sandbox died');
    const dead = await lab(['check', id, 'bridge'], env);
    t.is(dead.exitCode, 3, `${dead.stdout}\n${dead.stderr}`);
    t.regex(dead.stderr, new RegExp(`sandbox ${id} \\(${LAB}\\) is dead`));
    t.regex(dead.stderr, new RegExp(`hint: remove what is left of it: lab clean ${id}`));
  },
);

test.serial('lab check LAB is still lab run LAB --check', async (t) => {
  const env = { LAB_STATE_DIR: tempDir('lab-check-alias-') };
  const r = await lab(['check', LAB, '--until', 'bridge', '--json'], env);
  t.is(r.exitCode, 0, r.stderr);
  const result = JSON.parse(r.stdout) as JsonResult;
  t.like(result, { lab: LAB, status: 'passed', exitCode: 0 });
  t.deepEqual(
    result.steps.map((s) => `${s.id} ${s.status} ${s.commands.length}`),
    ['bridge passed 3'],
  );
  const skipped = await lab(['check', LAB, '--skip', 'bridge', '--reporter', 'plain'], env);
  t.is(skipped.exitCode, 1, 'a skipped step fails its check, as in lab run --check');
  t.regex(skipped.stdout, /-- step 1\/2 bridge: .*\[commands skipped\]/);
  t.deepEqual(journal(env.LAB_STATE_DIR), [], 'no sandbox left');
});
