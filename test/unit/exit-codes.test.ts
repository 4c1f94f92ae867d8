// The exit code table, pinned in one place (DESIGN.md): scripts and CI depend on it.
import test from 'ava';
import { EnvironmentError, EXIT, InternalError, InterruptedError, LabDefinitionError, UsageError } from '../../src/errors.js';
import { exitCodeOf, type LabResult } from '../../src/engine/result.js';

const base: LabResult = { lab: 'x', file: 'x', status: 'passed', steps: [], durationMs: 0 };

test('the table', (t) => {
  t.deepEqual({ ...EXIT }, { pass: 0, checkFailed: 1, usage: 2, environment: 3, internal: 70, interrupted: 130 });
});

test('each error carries its exit code, a code and a hint', (t) => {
  t.is(new UsageError('X', 'm').exitCode, 2);
  t.is(new LabDefinitionError('f.ts', ['a: b']).exitCode, 2);
  t.is(new EnvironmentError('NO_PRIVILEGE', 'm', 'run as root').exitCode, 3);
  t.is(new InternalError('m').exitCode, 70);
  t.is(new InterruptedError('SIGINT').exitCode, 130);
  t.is(new LabDefinitionError('f.ts', ['a: b']).code, 'LAB_INVALID');
  t.truthy(new InternalError('m').hint);
});

test('exitCodeOf maps a result once', (t) => {
  const failedStep = { id: 's', title: 's', status: 'failed' as const, skipped: false, commands: [], durationMs: 0 };
  t.is(exitCodeOf(base), 0);
  t.is(exitCodeOf({ ...base, status: 'failed', steps: [failedStep] }), 1);
  t.is(exitCodeOf({ ...base, steps: [failedStep] }), 1);
  t.is(exitCodeOf({ ...base, status: 'error', error: { code: 'NO_PRIVILEGE', message: '', hint: '', exitCode: 3 } }), 3);
  t.is(exitCodeOf({ ...base, status: 'interrupted', error: { code: 'INTERRUPTED', message: '', hint: '', exitCode: 130 } }), 130);
});
