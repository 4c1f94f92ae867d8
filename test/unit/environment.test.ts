// Environment errors: exit 3 with a hint that says what to run.
import test from 'ava';
import { execa } from 'execa';
import { EnvironmentError } from '../../src/errors.js';
import { requireTools, which } from '../../src/sys/tools.js';
import { MAIN, ROOT } from '../helpers/cli.js';

test('a missing tool names the tool and the apt line', (t) => {
  const e = t.throws(() => requireTools(['ip', 'nc', 'no-such-tool-xyz']), { instanceOf: EnvironmentError });
  t.is(e?.exitCode, 3);
  t.is(e?.message, 'missing tool: no-such-tool-xyz');
  t.regex(e?.hint ?? '', /apt-get install -y no-such-tool-xyz/);
  t.notThrows(() => requireTools(['ip', 'unshare', 'nsenter']));
});

// Dropping to another user takes root: as any other user this test is skipped (its title says why).
const asRoot = process.getuid?.() === 0 ? test : test.skip;

asRoot('without root, a run exits 3 and says how to run it (needs root to drop to nobody)', async (t) => {
  t.truthy(which('setpriv'), 'setpriv (util-linux) is needed to drop privileges');
  const r = await execa(
    'setpriv',
    ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, MAIN, 'check', '02-bridge-veth'],
    { reject: false, cwd: ROOT, env: { CI: 'true' } },
  );
  t.is(r.exitCode, 3, String(r.stderr));
  t.regex(String(r.stderr), /needs root/);
  t.regex(String(r.stderr), /hint: run it as root: sudo \.\/lab run 02-bridge-veth/);
});
