// Runs after every other test: the real machine's network is exactly as it was before the suite.
import test from '../helpers/root-test.js';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { findKeepers } from '../../src/sandbox/clean.js';
import { listStates } from '../../src/sandbox/state.js';
import { diffSnapshots, snapshotRoot, type RootSnapshot } from '../../src/sys/root-state.js';
import { labCgroups } from '../../src/sys/cgroupfs.js';

const beforePath = process.env.LAB_ROOT_SNAPSHOT;

test('addresses, routes, links, iptables, ip6tables, nft and forwarding sysctls are unchanged', (t) => {
  if (!beforePath) return t.fail('LAB_ROOT_SNAPSHOT is not set: run this through npm test');
  const before = JSON.parse(readFileSync(beforePath, 'utf8')) as RootSnapshot;
  const after = snapshotRoot();
  const changed = diffSnapshots(before, after);
  t.deepEqual(changed, [], changed.map((k) => `${k}:\n--- before\n${before[k]}\n--- after\n${after[k]}`).join('\n'));
  t.is(after.netns?.trim(), '', 'ip netns list in the root namespace must stay empty');
});

test('no container process or overlay mount is left', (t) => {
  const leftovers: string[] = [];
  for (const pid of readdirSync('/proc').filter((n) => /^\d+$/.test(n))) {
    try {
      const root = readlinkSync(`/proc/${pid}/root`);
      if (root.startsWith('/run/containers/')) leftovers.push(`process ${pid} in ${root}`);
      if (readFileSync(`/proc/${pid}/mountinfo`, 'utf8').includes('/run/containers/'))
        leftovers.push(`process ${pid} sees a container overlay`);
    } catch {
      // gone meanwhile
    }
  }
  t.deepEqual(leftovers, []);
});

test('no sandbox keeper process and no journal entry is left', (t) => {
  t.deepEqual([...findKeepers().keys()], []);
  t.deepEqual(
    listStates().map((s) => s.runId),
    [],
  );
});

test("no sandbox's cgroup (lab-RUNID, in any hierarchy) is left", (t) => {
  t.deepEqual(labCgroups(), []);
});
