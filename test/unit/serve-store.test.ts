// The class's store and secrets, without a server: tokens kept only as hashes, progress that survives a
// reopen, a pass remembered for replays, wrong codes limited per address, CSV that is never a formula.
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ClassStore } from '../../src/ui/serve/store.js';
import { JoinLimit } from '../../src/ui/serve/join-limit.js';
import { classCsv } from '../../src/ui/serve/routes-teacher.js';
import { bearer, newCode, newToken, sameSecret } from '../../src/ui/serve/tokens.js';
import { tempDir } from '../helpers/temp.js';

test('a store keeps a token only as its hash, and finds the student by it', (t) => {
  const dir = tempDir('lab-serve-unit-');
  const s = new ClassStore(dir);
  const token = newToken();
  s.addStudent('a1b2c3d4e5f6', 'Ana', token);
  t.is(s.studentByToken(token)?.name, 'Ana');
  t.is(s.studentByToken(newToken()), undefined);
  s.close();
  const bytes = readFileSync(join(dir, 'class.sqlite')).toString('latin1');
  t.false(bytes.includes(token));
});

test('a reopened store has the same code, teacher token, students and progress', (t) => {
  const dir = tempDir('lab-serve-unit-');
  const a = new ClassStore(dir);
  const token = newToken();
  a.addStudent('a1b2c3d4e5f6', 'Ana', token);
  a.recordCheck('a1b2c3d4e5f6', '03-masquerade', 'bridge', true);
  a.recordCheck('a1b2c3d4e5f6', '03-masquerade', 'bridge', false);
  a.recordPrediction('a1b2c3d4e5f6', '03-masquerade', 'bridge', 1, true);
  a.recordPrediction('a1b2c3d4e5f6', '03-masquerade', 'bridge', 0, false);
  const { code, teacherToken } = a;
  a.close();
  const b = new ClassStore(dir);
  t.is(b.code, code);
  t.is(b.teacherToken, teacherToken);
  t.is(b.studentByToken(token)?.id, 'a1b2c3d4e5f6');
  const [c] = b.checks('a1b2c3d4e5f6', '03-masquerade');
  t.false(c?.passed); // the last verdict
  t.true(c?.everPassed); // a pass once made is replayed
  t.deepEqual(b.predictions('a1b2c3d4e5f6'), [{ lab: '03-masquerade', step: 'bridge', choice: 1, right: true }]);
  b.kick('a1b2c3d4e5f6');
  t.is(b.studentByToken(token), undefined);
  t.is(b.count(), 0);
  b.close();
});

test('tokens are 128-bit, codes typeable, secrets compared whole', (t) => {
  t.is(Buffer.from(newToken(), 'base64url').length, 16);
  t.regex(newCode(), /^[A-HJKMNP-Z2-9]{6}$/);
  t.true(sameSecret('abc', 'abc'));
  t.false(sameSecret('abc', 'abd'));
  t.false(sameSecret('ab', 'abc'));
  t.is(bearer('Bearer abc_-9'), 'abc_-9');
  t.is(bearer('Basic abc'), undefined);
  t.is(bearer('Bearer a b'), undefined);
});

test('wrong codes are limited per address; right ones are not counted', (t) => {
  const l = new JoinLimit(3, 60_000);
  for (let i = 0; i < 3; i++) {
    t.false(l.blocked('10.0.0.1'));
    l.missed('10.0.0.1');
  }
  t.true(l.blocked('10.0.0.1'));
  t.false(l.blocked('10.0.0.2'));
});

test('the CSV export never starts a field with a formula character', (t) => {
  const csv = classCsv([
    {
      id: 'x',
      name: '=HYPERLINK("http://203.0.113.9")',
      lab: '03-masquerade',
      step: 'bridge',
      steps: [{ id: 'bridge', passed: true }],
      lastActive: '2026-01-01T00:00:00Z',
      live: false,
    },
  ]);
  t.true(csv.includes(`"'=HYPERLINK(""http://203.0.113.9"")"`));
  t.is(csv.split('\n')[0], 'student,name,lab,step,passed,prediction,prediction_right,last_active');
});
