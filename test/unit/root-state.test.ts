// The suite's last test compares the real machine before and after: what counts as a change.
import test from 'ava';
import { diffSnapshots } from '../../src/sys/root-state.js';

test('any other part differs when its text does', (t) => {
  t.deepEqual(diffSnapshots({ routes: 'a', links: 'x' }, { routes: 'a', links: 'y' }), ['links']);
});

test("a sandbox's cgroup counts when one was added, not when a dead run's empty one was swept away", (t) => {
  const before = { labCgroups: '/sys/fs/cgroup/pids/lab-02-aaaa\n/sys/fs/cgroup/pids/lab-03-bbbb' };
  t.deepEqual(diffSnapshots(before, { labCgroups: '/sys/fs/cgroup/pids/lab-03-bbbb' }), []);
  t.deepEqual(diffSnapshots(before, { labCgroups: '' }), []);
  t.deepEqual(diffSnapshots(before, { labCgroups: `${before.labCgroups}\n/sys/fs/cgroup/pids/lab-04-cccc` }), [
    'labCgroups',
  ]);
});
