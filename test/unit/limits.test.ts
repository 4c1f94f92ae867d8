// A sandbox's limits: defaults, the lab's own, then LAB_* variables; bad values name their field or variable.
import test from 'ava';
import { fileURLToPath } from 'node:url';
import { LabDefinitionError, UsageError } from '../../src/errors.js';
import { loadLab } from '../../src/engine/loader.js';
import { DEFAULT_LIMITS, limitsProblems } from '../../src/model/limits.js';
import { limitReached, resolveLimits } from '../../src/sandbox/limits.js';
import { commandLine } from '../../src/ui/shared/lines.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../../../fixtures/labs/${name}`, import.meta.url));

test('defaults: 512 processes, 512 MiB of memory, 256 MiB writable, an ordinary CPU weight', (t) => {
  t.deepEqual(resolveLimits({}, {}), { pids: 512, memoryMb: 512, diskMb: 256, cpuShare: 100 });
  t.deepEqual(resolveLimits(undefined, {}), DEFAULT_LIMITS);
});

test("a lab's limits replace the defaults, and LAB_* variables replace the lab's", (t) => {
  t.deepEqual(resolveLimits({ pids: 1024, memoryMb: 768 }, {}), {
    pids: 1024,
    memoryMb: 768,
    diskMb: 256,
    cpuShare: 100,
  });
  t.deepEqual(
    resolveLimits({ pids: 1024 }, { LAB_PIDS: '200', LAB_MEMORY_MB: '300', LAB_DISK_MB: '64', LAB_CPU_SHARE: '50' }),
    { pids: 200, memoryMb: 300, diskMb: 64, cpuShare: 50 },
  );
  t.deepEqual(resolveLimits({}, { LAB_PIDS: '' }), DEFAULT_LIMITS, 'an empty variable is unset');
});

test('a bad LAB_* value is a usage error (exit 2) naming the variable', (t) => {
  for (const [name, value] of [
    ['LAB_PIDS', 'lots'],
    ['LAB_PIDS', '10'],
    ['LAB_MEMORY_MB', '512M'],
    ['LAB_DISK_MB', '-1'],
    ['LAB_CPU_SHARE', '0'],
    ['LAB_CPU_SHARE', '1.5'],
  ] as const) {
    const e = t.throws(() => resolveLimits({}, { [name]: value }), { instanceOf: UsageError });
    t.is(e?.exitCode, 2);
    t.true(e?.message.startsWith(`${name}=${JSON.stringify(value)}: must be a whole number from`), e?.message);
  }
});

test("problems of a lab's limits name the field", (t) => {
  t.deepEqual(limitsProblems(undefined), []);
  t.deepEqual(limitsProblems({ pids: 1024, cpuShare: 200 }), []);
  t.deepEqual(limitsProblems(7), ['limits: must be an object, e.g. { pids: 1024, memoryMb: 768 }']);
  t.deepEqual(limitsProblems({ pids: 3, memoryMb: '1G', diskMb: 1.5, swapMb: 0 }), [
    'limits.pids: 3 must be a whole number from 64 to 65536 (processes)',
    'limits.memoryMb: "1G" must be a whole number from 64 to 1048576 (MiB of memory)',
    'limits.diskMb: 1.5 must be a whole number from 16 to 1048576 (MiB of writable space)',
    'limits.swapMb: unknown limit (known: pids, memoryMb, diskMb, cpuShare)',
  ]);
});

test('a lab module with bad limits fails to load (exit 2), naming the file and each field', async (t) => {
  const e = await t.throwsAsync(loadLab(fixture('bad-limits.ts')), { instanceOf: LabDefinitionError });
  t.is(e?.exitCode, 2);
  t.is(e?.file, 'fixtures/labs/bad-limits.ts');
  t.deepEqual(
    e?.problems.map((p) => p.split(':')[0]),
    ['limits.pids', 'limits.memoryMb', 'limits.swapMb'],
  );
});

test('the words of a limit that was reached', (t) => {
  t.is(limitReached('pids', DEFAULT_LIMITS), 'the sandbox reached its limit of 512 processes');
  t.is(
    limitReached('memoryMb', { ...DEFAULT_LIMITS, memoryMb: 300 }),
    'the sandbox reached its limit of 300 MiB of memory',
  );
});

test("a command's line names the limit it reached, even when its output is long or it exited 0", (t) => {
  const rec = {
    display: 'sh bomb.sh',
    node: 'box',
    argv: [],
    output: 'fork: retry\n'.repeat(500),
    stderr: '',
    durationMs: 5,
    timedOut: false,
    limit: limitReached('pids', DEFAULT_LIMITS),
  };
  t.is(
    commandLine({ ...rec, exitCode: 137 }, false, false),
    '[box] $ sh bomb.sh   (exit 137: the sandbox reached its limit of 512 processes)',
  );
  t.is(
    commandLine({ ...rec, exitCode: 0 }, false, false),
    '[box] $ sh bomb.sh   (exit 0: the sandbox reached its limit of 512 processes)',
  );
  const { limit: _, ...plain } = rec;
  t.is(commandLine({ ...plain, exitCode: 0 }, false, true), '[box] $ sh bomb.sh');
});
