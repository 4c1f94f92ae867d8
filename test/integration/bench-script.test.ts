// The bench's bash reference for lab 03 (bench/lab03.sh): it checks what the lab checks, and is honest.
import test from '../helpers/root-test.js';
import { execa } from 'execa';
import { formatMatcher } from '../../src/check/format.js';
import { loadLab } from '../../src/engine/loader.js';
import { cachedRootfs } from '../../src/sandbox/rootfs.js';
import { ROOT } from '../helpers/cli.js';

const SCRIPT = `${ROOT}bench/lab03.sh`;
const LINE = /^(PASS|FAIL) (\S+) (\S+) (expect|none) (.*?)(?: >=(\d+))?: (.*)$/;

interface Verdict {
  pass: boolean;
  step: string;
  point: string;
  kind: 'expect' | 'none';
  what: string;
  min?: number;
  detail: string;
}

// Runs the script with these arguments; its exit code and its expectation lines.
async function script(args: string[]): Promise<{ exitCode: number; stdout: string; verdicts: Verdict[] }> {
  // The current recipe's build: the shared cache may also hold builds of older recipes.
  const current = cachedRootfs();
  const env = current ? { LAB03_ROOTFS: current.path } : {};
  const r = await execa('bash', [SCRIPT, ...args], { reject: false, timeout: 60_000, env });
  const verdicts = String(r.stdout)
    .split('\n')
    .map((l) => LINE.exec(l))
    .filter((m): m is RegExpExecArray => m !== null)
    .map((m) => ({
      pass: m[1] === 'PASS',
      step: m[2]!,
      point: m[3]!,
      kind: m[4] as 'expect' | 'none',
      what: m[5]!,
      ...(m[6] ? { min: Number(m[6]) } : {}),
      detail: m[7]!,
    }));
  return { exitCode: r.exitCode ?? -1, stdout: `${String(r.stdout)}\n${String(r.stderr)}`, verdicts };
}

// The three runs share the machine; started together they take the time of one.
const runs = {
  plain: script([]),
  masquerade: script(['--skip', 'masquerade']),
  forward: script(['--skip', 'forward']),
};

test('lab03.sh passes, with the very 17 expectations of lab 03-masquerade, in order', async (t) => {
  const r = await runs.plain;
  t.is(r.exitCode, 0, r.stdout);
  const { def } = await loadLab('03-masquerade');
  const lab = def.steps.flatMap((s) =>
    (s.check?.expectations ?? []).map((e) => ({
      step: s.id,
      point: e.point,
      kind: e.kind === 'expect' ? 'expect' : 'none',
      what: formatMatcher(e.matcher),
      ...(e.kind === 'expect' ? { min: e.count?.min ?? 1 } : {}),
    })),
  );
  t.is(lab.length, 17);
  t.deepEqual(
    r.verdicts.map(({ step, point, kind, what, min }) => ({
      step,
      point,
      kind,
      what,
      ...(min !== undefined ? { min } : {}),
    })),
    lab,
  );
  t.true(
    r.verdicts.every((v) => v.pass),
    r.stdout,
  );
});

test('lab03.sh --skip masquerade fails (exit 1) and names the rewritten request that never left eth0', async (t) => {
  const r = await runs.masquerade;
  t.is(r.exitCode, 1, r.stdout);
  const failed = r.verdicts.filter((v) => !v.pass);
  t.true(
    failed.some(
      (v) =>
        v.step === 'masquerade' &&
        v.point === 'host:eth0' &&
        v.what === 'ICMP echo-request src=10.0.2.15 dst=203.0.113.8 ttl=63' &&
        v.detail === 'seen 0',
    ),
    r.stdout,
  );
  t.true(
    failed.some((v) => v.kind === 'none' && v.what === 'IP src=172.17.0.0/24' && v.detail === 'seen 3'),
    r.stdout,
  );
  t.true(
    failed.every((v) => v.step === 'masquerade'),
    r.stdout,
  );
});

test('lab03.sh --skip forward fails (exit 1) and names the forwarded request with ttl 63', async (t) => {
  const r = await runs.forward;
  t.is(r.exitCode, 1, r.stdout);
  const failed = r.verdicts.filter((v) => !v.pass);
  t.true(
    failed.some(
      (v) =>
        v.step === 'forward' &&
        v.point === 'host:eth0' &&
        v.what === 'ICMP echo-request src=172.17.0.100 dst=203.0.113.8 ttl=63' &&
        v.detail === 'seen 0',
    ),
    r.stdout,
  );
  t.false(
    r.verdicts.some((v) => v.step === 'bridge' && !v.pass),
    r.stdout,
  );
});

test('lab03.sh refuses an unknown step with exit 2', async (t) => {
  const r = await script(['--skip', 'nope']);
  t.is(r.exitCode, 2);
  t.regex(r.stdout, /unknown step 'nope'/);
});
