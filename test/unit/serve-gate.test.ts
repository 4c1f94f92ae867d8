// The build gate: at most its width at once, the rest in order, a student's build before the spares'.
import test from 'ava';
import { Gate } from '../../src/ui/serve/gate.js';

test('a gate runs at most its width at once; an urgent task goes before the waiting ones that are not', async (t) => {
  const gate = new Gate(1);
  const order: string[] = [];
  let release: () => void = () => undefined;
  const first = gate.run(() => new Promise<void>((r) => (release = r)).then(() => void order.push('first')));
  const spares = ['spare 1', 'spare 2'].map((n) => gate.run(async () => void order.push(n)));
  const student = gate.run(async () => void order.push('student'), true);
  const later = gate.run(async () => void order.push('student 2'), true);
  await Promise.resolve();
  t.deepEqual(order, [], 'nothing passes the one running');
  release();
  await Promise.all([first, ...spares, student, later]);
  t.deepEqual(order, ['first', 'student', 'student 2', 'spare 1', 'spare 2']);
});
