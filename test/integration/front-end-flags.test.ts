// Every front end honours the report flags on a terminal: the task list of `lab run --check` and the
// walkthrough write --junit and --report, the walkthrough shows --trace and stops on --pause-on-fail.
import test from '../helpers/root-test.js';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { lab } from '../helpers/cli.js';
import { Pane } from '../helpers/tmux-pane.js';
import { tempDir } from '../helpers/temp.js';

// The screen's text with every run of whitespace as one space: the walkthrough wraps its own lines.
const flat = (text: string): string => text.replace(/\s+/g, ' ');

test.serial(
  'lab run --check on a terminal (the task list) writes --junit and --report; a failed step is exit 1',
  async (t) => {
    const dir = tempDir('lab-flags-');
    const [junit, report] = [join(dir, 'J.xml'), join(dir, 'R.html')];
    const p = await Pane.start(['run', '03', '--check', '--skip', 'masquerade', '--junit', junit, '--report', report]);
    try {
      t.is(await p.exitCode(120_000), 1, await p.history());
      t.regex(readFileSync(junit, 'utf8'), /<testcase[^>]*masquerade[^]*<failure/);
      t.regex(readFileSync(report, 'utf8'), /<html[^]*masquerade/);
    } finally {
      await p.kill();
    }
  },
);

test.serial('the walkthrough writes --junit and --report, and shows --trace after each check', async (t) => {
  const dir = tempDir('lab-flags-');
  const [junit, report] = [join(dir, 'J.xml'), join(dir, 'R.html')];
  const args = ['run', '03', '--until', 'veth', '--trace', '--junit', junit, '--report', report];
  const p = await Pane.start(args, { XDG_STATE_HOME: tempDir('lab-flags-state-'), NO_COLOR: '1' });
  try {
    await p.choose(/Predict:/);
    await p.choose(/Step bridge:/);
    await p.choose(/Next\?/);
    await p.choose(/Predict:/);
    await p.choose(/Step veth:/);
    t.is(await p.exitCode(60_000), 0, await p.history());
    const out = flat(await p.history(true));
    t.is(out.match(/The packet's path:/g)?.length, 2, out);
    const xml = readFileSync(junit, 'utf8');
    t.regex(xml, /<testcase[^>]*bridge/);
    t.regex(xml, /<testcase[^>]*veth/);
    t.regex(readFileSync(report, 'utf8'), /<html[^]*veth/);
  } finally {
    await p.kill();
  }
});

test.serial(
  "the walkthrough with --pause-on-fail keeps a failed step's sandbox up until Enter, then ends (exit 1)",
  async (t) => {
    const dir = tempDir('lab-flags-');
    const p = await Pane.start(['run', '03', '--skip', 'bridge', '--pause-on-fail', '--junit', join(dir, 'J.xml')], {
      XDG_STATE_HOME: tempDir('lab-flags-state-'),
      NO_COLOR: '1',
    });
    try {
      const screen = await p.waitFor(/press Enter to tear it down/, 60_000);
      const runId = /its sandbox (\S+) stays up/.exec(flat(screen))?.[1] ?? '';
      t.regex(flat(screen), new RegExp(`lab shell ${runId} host`));
      await p.keys(['Enter']);
      t.is(await p.exitCode(60_000), 1, await p.history());
      t.true(existsSync(join(dir, 'J.xml')));
    } finally {
      await p.kill();
    }
  },
);

test.serial('the demo writes --junit and --report of the steps it ran', async (t) => {
  const dir = tempDir('lab-flags-');
  const [junit, report] = [join(dir, 'J.xml'), join(dir, 'R.html')];
  const p = await Pane.start(['demo', '03', '--junit', junit, '--report', report]);
  try {
    await p.waitFor(/press n to run step 1/, 60_000);
    for (const i of [1, 2]) {
      await p.keys(['n']);
      await p.waitFor(new RegExp(` ${i}/5 `), 30_000);
    }
    await p.keys(['q']);
    t.is(await p.exitCode(60_000), 0, await p.history());
    const xml = readFileSync(junit, 'utf8');
    t.regex(xml, /<testcase[^>]*bridge/);
    t.regex(xml, /<testcase[^>]*veth/);
    t.regex(readFileSync(report, 'utf8'), /<html[^]*veth/);
  } finally {
    await p.kill();
  }
});

test('the demo refuses --json and --pause-on-fail with exit 2, naming them, before anything is built', async (t) => {
  for (const flag of ['--json', '--pause-on-fail']) {
    const r = await lab(['demo', '03', flag]);
    t.is(r.exitCode, 2, r.stderr);
    t.regex(r.stderr, new RegExp(`lab demo does not take ${flag}`));
  }
});
