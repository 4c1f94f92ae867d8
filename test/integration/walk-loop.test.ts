// The student's loop in a real terminal (tmux): a wrong attempt then "have it run for me" starts from
// the step's start; Ctrl-C in the shell clears the line; a live check says when the step passes; a
// skipped last step is kept as not done and resumed. Keys are scripted; every wait is bounded.
import test from '../helpers/root-test.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab } from '../helpers/cli.js';
import { Pane } from '../helpers/tmux-pane.js';

const made: string[] = [];
// A state folder of its own per run (XDG_STATE_HOME), removed after the tests.
const stateDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'lab-loop-state-'));
  made.push(d);
  return d;
};
test.after.always(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
const flat = (text: string): string => text.replace(/\s+/g, ' ');
const PROMPT = (node: string): RegExp => new RegExp(`\\[${node}\\]#\\s*$`, 'm');

// "run it for me" through these steps, the first choice of each prediction.
async function runSteps(p: Pane, ids: string[]): Promise<void> {
  for (const id of ids) {
    await p.choose(/Predict:/);
    await p.choose(new RegExp(`Step ${id}:`));
    await p.choose(/Next\?/);
  }
}

// A wrong rule typed at a step, exit, "have it run for me": the lab ends PASSED, the retry's cost told.
async function wrongThenRun(
  t: import('ava').ExecutionContext,
  labId: string,
  before: string[],
  stepId: string,
  wrong: string,
  boundS: number,
): Promise<void> {
  const p = await Pane.start(['run', labId], { XDG_STATE_HOME: stateDir(), NO_COLOR: '1' });
  try {
    await runSteps(p, before);
    await p.choose(/Predict:/);
    await p.choose(new RegExp(`Step ${stepId}:`), 1); // I will type it myself
    await p.waitFor(PROMPT('host'));
    await p.type(wrong);
    await p.waitFor(PROMPT('host'));
    await p.type('exit');
    await p.pick(/The check failed/, /have it run for me/, 30_000);
    t.is(await p.exitCode(), 0, await p.history());
    const out = flat(await p.history(true));
    t.regex(out, new RegExp(`${labId}-[a-z-]+: PASSED — ${before.length + 1} steps passed, 0 failed`));
    const took = /back at the start of step \d+ in (\d+\.\d) s/.exec(out);
    t.truthy(took, out);
    t.log(`${labId} ${stepId}: back at the step's start in ${took?.[1]} s`);
    t.true(Number(took?.[1]) < boundS, `the rebuild took ${took?.[1]} s`);
  } finally {
    await p.kill();
  }
}

test.serial(
  'lab 03 masquerade: a wrong SNAT typed first, then "have it run for me": the step passes, the lab ends PASSED',
  async (t) => {
    await wrongThenRun(
      t,
      '03',
      ['bridge', 'veth', 'observe', 'forward'],
      'masquerade',
      'iptables -t nat -A POSTROUTING -s 172.17.0.0/24 -o eth0 -j SNAT --to-source 10.0.2.99',
      2,
    );
  },
);

test.serial(
  'lab 05 firewall: DROP typed before ACCEPT, then "have it run for me": the step passes, the lab ends PASSED',
  async (t) => {
    await wrongThenRun(
      t,
      '05',
      ['veth', 'observe', 'nat'],
      'firewall',
      'iptables -A FORWARD -i eth0 -o ve-web -j DROP',
      4,
    );
  },
);

test.serial(
  "skip lab 07's last step and quit: progress keeps it not done, and lab run offers to resume at it",
  async (t) => {
    const state = stateDir();
    const p = await Pane.start(['run', '07'], { XDG_STATE_HOME: state, NO_COLOR: '1' });
    try {
      // At 80 columns a long choice wraps between words: the address in it stays whole (question and choice).
      const predict = await p.waitFor(/\? Predict:[^]*navigate/, 30_000);
      t.regex(predict, /maps \S+ back to\s+fd00:0:0:1::2\n/);
      t.true(predict.split('\n').every((l) => l.length <= 80));
      await p.choose(/Predict:/);
      // The action prompt names the step, whose header has scrolled away at 80x24.
      await p.waitFor(/\? Step mapping: The host maps the containers' ULA prefix/);
      await p.choose(/Step mapping:/);
      await p.choose(/Next\?/);
      await runSteps(p, ['isolation']);
      await p.choose(/Predict:/);
      await p.pick(/Step privilege:/, /skip the commands/);
      await p.pick(/Step privilege is not done/, /^\s*quit/, 30_000);
      t.is(await p.exitCode(), 130, await p.history());
      const out = flat(await p.history(true));
      t.regex(out, /To go on: lab run 07-nptv6 \(it offers to resume at step 3, privilege\)/);
    } finally {
      await p.kill();
    }
    const progress = await lab(['progress'], { XDG_STATE_HOME: state });
    t.regex(progress.stdout, /07-nptv6\s+steps done 2\/3\s+predictions right \d\/3\s+resume at privilege/);
    const saved = JSON.parse(readFileSync(join(state, 'lab/progress/07-nptv6.json'), 'utf8')) as {
      predictions: Record<string, unknown>;
    };
    t.truthy(saved.predictions.privilege, "the skipped step's prediction is kept");
    const again = await Pane.start(['run', '07'], { XDG_STATE_HOME: state, NO_COLOR: '1' });
    try {
      await again.choose(/You stopped before step 3 of 3 \(privilege\)/, 0, 30_000);
      await again.choose(/Step privilege:/, 0, 30_000); // run it for me: its prediction is not asked again
      t.is(await again.exitCode(), 0, await again.history());
      const out = flat(await again.history(true));
      t.regex(
        out,
        /07-nptv6: PASSED — 1 step passed, 0 failed, 1 run here; steps 1 and 2 were done in an earlier run \(replayed\)/,
      );
      t.regex(out, /Your prediction was (right|wrong)/);
    } finally {
      await again.kill();
    }
  },
);

test.serial(
  "Ctrl-C on a half-typed line in the student's shell clears it, as bash does: the shell stays and the lab goes on; Ctrl-C at a menu still ends the run (130)",
  async (t) => {
    const p = await Pane.start(['run', '03'], { XDG_STATE_HOME: stateDir(), NO_COLOR: '1' });
    try {
      await p.choose(/Predict:/);
      await p.pick(/Step bridge:/, /I will type it myself/);
      await p.waitFor(PROMPT('host'));
      await p.keys(['ip link add br0 typ'], true);
      await p.keys(['C-c']);
      await p.waitFor(/typ\^C\s*\n\[host\]#\s*$/m, 5_000);
      for (const cmd of [
        'ip link add br0 type bridge',
        'ip addr add 172.17.0.1/24 dev br0',
        'ip link set dev br0 up',
      ]) {
        await p.type(cmd);
        await p.waitFor(PROMPT('host'));
      }
      await p.type('exit');
      await p.waitFor(/Step passed\./);
      await p.waitFor(/\? Next\?[^]*navigate/);
      await p.keys(['C-c']);
      t.is(await p.exitCode(), 130, await p.history());
      const out = flat(await p.history(true));
      t.regex(out, /Ctrl-C clears the line or stops a running command/);
      t.regex(out, /03-masquerade: interrupted/);
    } finally {
      await p.kill();
    }
  },
);

test.serial(
  'typing the right MASQUERADE rule in the shell: the live check says it passed within 2 s, without leaving the shell',
  async (t) => {
    const p = await Pane.start(['run', '03'], { XDG_STATE_HOME: stateDir(), NO_COLOR: '1' });
    try {
      await runSteps(p, ['bridge', 'veth', 'observe', 'forward']);
      await p.choose(/Predict:/);
      await p.pick(/Step masquerade:/, /I will type it myself/);
      await p.waitFor(PROMPT('host'));
      await p.type('iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE');
      const t0 = Date.now();
      await p.waitFor(/✔ masquerade: check passed — type exit to go on/, 2_000);
      t.log(`check passed shown ${Date.now() - t0} ms after Enter`);
      // The prompt comes back under the line, still in the shell.
      await p.waitFor(/✔ masquerade: check passed — type exit to go on\s*\n\[host\]#\s*$/m, 2_000);
      await p.type('exit');
      t.is(await p.exitCode(), 0, await p.history());
      t.regex(flat(await p.history(true)), /03-masquerade: PASSED — 5 steps passed, 0 failed/);
    } finally {
      await p.kill();
    }
  },
);

test.serial('a probe that cannot even send is told as not sent, not as getting no answer', async (t) => {
  const p = await Pane.start(['run', '01'], { XDG_STATE_HOME: stateDir(), NO_COLOR: '1' });
  try {
    await runSteps(p, ['netns']);
    await p.choose(/Predict:/);
    await p.choose(/Step unshare:/);
    t.is(await p.exitCode(), 0, await p.history());
    const out = flat(await p.history(true));
    t.regex(
      out,
      /ping -n -q -c 3 -i 0\.005 -W 0\.1 203\.0\.113\.8: not sent \(Network is unreachable\), as the lab expects it to fail/,
    );
    t.notRegex(out, /gets no answer/);
    t.notRegex(out, /\b1 packets\b/);
  } finally {
    await p.kill();
  }
});

test.serial(
  'a skipped middle step: the lab goes on, and at its end offers to go back to it; done then, the lab ends PASSED',
  async (t) => {
    const p = await Pane.start(['run', '07'], { XDG_STATE_HOME: stateDir(), NO_COLOR: '1' });
    try {
      await runSteps(p, ['mapping']);
      await p.choose(/Predict:/);
      await p.pick(/Step isolation:/, /skip the commands/);
      await p.pick(/Step isolation is not done/, /go on to step 3/);
      await p.choose(/Predict:/);
      await p.choose(/Step privilege:/);
      await p.pick(/That was the last step, but step 2 \(isolation\) is not done/, /go back to step 2/, 30_000);
      await p.choose(/Step isolation:/, 0, 30_000); // its prediction is not asked twice
      await p.choose(/Next\?/);
      await p.choose(/Step privilege:/);
      t.is(await p.exitCode(), 0, await p.history());
      t.regex(flat(await p.history(true)), /07-nptv6: PASSED — 3 steps passed, 0 failed/);
    } finally {
      await p.kill();
    }
  },
);
