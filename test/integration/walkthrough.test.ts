// The student's walkthrough in a real terminal (tmux): run it for me, type it myself with a hint and
// a retry, resume after quitting, Ctrl-C inside the student's shell. Keys are scripted; waits polled.
import test from '../helpers/root-test.js';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lab } from '../helpers/cli.js';
import { waitFor } from '../helpers/procs.js';
import { Pane } from '../helpers/tmux-pane.js';

const made: string[] = [];
// A state folder of its own per run (XDG_STATE_HOME), removed after the tests.
const stateDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'lab-walk-state-'));
  made.push(d);
  return d;
};
test.after.always(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});
// The screen's text with every run of whitespace as one space: the walkthrough wraps its own lines.
const flat = (text: string): string => text.replace(/\s+/g, ' ');
const runIdOf = (text: string): string => /sandbox (\d\d-[0-9a-f]+) ready/.exec(text)?.[1] ?? '';

// True while any process on the machine belongs to that sandbox (its keeper names the run id).
function keeperAlive(runId: string): boolean {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .some((pid) => {
      try {
        return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(`lab-keeper ${runId}`);
      } catch {
        return false;
      }
    });
}

// Runs steps 1..n of lab 03 with "run it for me", taking the first choice of each prediction.
async function runSteps(p: Pane, ids: string[]): Promise<void> {
  for (const id of ids) {
    await p.choose(/Predict:/);
    await p.choose(new RegExp(`Step ${id}:`));
    await p.choose(/Next\?/);
  }
}

test.serial(
  'run it for me through lab 03: every step passes, every prediction is answered, nothing overflows 80 columns',
  async (t) => {
    const state = stateDir();
    const p = await Pane.start(['run', '03'], { XDG_STATE_HOME: state, NO_COLOR: '1' });
    try {
      await runSteps(p, ['bridge', 'veth', 'observe', 'forward']);
      await p.choose(/Predict:/);
      await p.choose(/Step masquerade:/);
      t.is(await p.exitCode(), 0, await p.history());
      const screen = await p.history(true);
      const out = flat(screen);
      t.regex(out, /03-masquerade: PASSED — 5 steps passed, 0 failed/);
      t.is(out.match(/Your prediction was (right|wrong):/g)?.length, 5, out);
      for (const answer of [
        'ARP requests \\(who has 172\\.17\\.0\\.2\\?\\) and no answer',
        'an ARP request: who has 172\\.17\\.0\\.1\\?',
        'to br0 on the host, but not out of eth0',
        'no: the requests leave eth0 with source 172\\.17\\.0\\.100',
        "10\\.0\\.2\\.15, the host's uplink address",
      ]) {
        t.regex(out, new RegExp(`The answer: ${answer}`), answer);
      }
      // Lines the terminal had to wrap differ between the plain and the joined capture: there are none.
      t.is(await p.history(false), screen, 'a line overflowed 80 columns');
      // The long command is continued with a backslash, never split inside a word: it still pastes whole.
      t.regex(screen, /MASQUERADE/);
      t.true(
        screen
          .replace(/ \\\n\s+/g, ' ')
          .includes('[host]# iptables -t nat -A POSTROUTING -s 172.17.0.0/24 ! -o br0 -j MASQUERADE'),
      );
      t.regex(screen, / \\\n\s+\S/);
      t.regex(out, /\+ \d+ ND\/MLD\/IGMP flows? \(link-local chatter, folded\)/);
      t.notRegex(await p.history(true, true), /\x1b\[/); // NO_COLOR: no colour or attribute anywhere on screen
      const saved = JSON.parse(readFileSync(join(state, 'lab/progress/03-masquerade.json'), 'utf8')) as {
        reached: number;
        predictions: Record<string, { right: boolean }>;
      };
      t.is(saved.reached, 5);
      t.is(Object.keys(saved.predictions).length, 5);
    } finally {
      await p.kill();
    }
  },
);

test.serial(
  'type it myself at forward: ip_forward left at 0 shows the forwarding hint, the retry passes; a MASQUERADE with the wrong source shows its hint',
  async (t) => {
    const p = await Pane.start(['run', '03'], { XDG_STATE_HOME: stateDir() });
    try {
      await runSteps(p, ['bridge', 'veth', 'observe']);
      await p.choose(/Predict:/);
      await p.choose(/Step forward:/, 1);
      await p.waitFor(/\[host\]#\s*$/m);
      await p.type('sysctl -w net.ipv4.ip_forward=0');
      await p.type('exit');
      await p.waitFor(/Hint: nothing reached eth0: is the host forwarding\?/);
      await p.choose(/The check failed/); // retry: the shell again
      await p.waitFor(/\[host\]#\s*$/m);
      await p.type('sysctl -w net.ipv4.ip_forward=1');
      await p.type('exit');
      await p.choose(/Next\?/);
      await p.choose(/Predict:/);
      await p.choose(/Step masquerade:/, 1);
      await p.waitFor(/\[host\]#\s*$/m);
      await p.type('iptables -t nat -A POSTROUTING -s 172.18.0.0/24 ! -o br0 -j MASQUERADE');
      await p.type('exit');
      await p.waitFor(/Hint: requests leave eth0 with source 172\.17\.0\.100 and no reply/);
      await p.choose(/The check failed/, 2); // have it run for me
      t.is(await p.exitCode(), 0, await p.history());
      const out = await p.history(true);
      t.regex(out, /03-masquerade: PASSED — 5 steps passed/);
      t.is(out.match(/Step passed\./g)?.length, 5, out);
    } finally {
      await p.kill();
    }
  },
);

test.serial(
  'resume after quitting at step 4: the sandbox is rebuilt and the walkthrough goes on at step 4',
  async (t) => {
    const state = stateDir();
    const first = await Pane.start(['run', '03'], { XDG_STATE_HOME: state });
    try {
      await runSteps(first, ['bridge', 'veth', 'observe']);
      await first.choose(/Predict:/);
      await first.choose(/Step forward:/, 3); // quit
      t.is(await first.exitCode(), 130);
      const out = await first.history(true);
      t.regex(out, /03-masquerade: stopped after 3 of 5 steps/);
      t.notRegex(out, /PASSED/);
    } finally {
      await first.kill();
    }
    const progress = await lab(['progress'], { XDG_STATE_HOME: state });
    // The prediction made at step 4 before quitting is kept: the resumed run does not ask it again.
    t.regex(progress.stdout, /03-masquerade\s+steps done 3\/5\s+predictions right 0\/4\s+resume at forward/);
    const again = await Pane.start(['run', '03'], { XDG_STATE_HOME: state });
    try {
      await again.choose(/You stopped before step 4 of 5 \(forward\)/);
      await again.waitFor(/✓ 3\. Ping the internet/);
      await again.choose(/Step forward:/);
      await again.choose(/Next\?/, 1); // the packet's path, offered after a pass too
      await again.waitFor(/The packet's path:/);
      await again.choose(/Next\?/, 2); // quit after step 4
      t.is(await again.exitCode(), 130);
      const out = flat(await again.history(true));
      t.regex(out, /── Step 4 of 5: Let the host forward packets/);
      t.notRegex(out, /── Step [123] of 5/);
      t.regex(out, /PASS seen 3 ICMP echo-request src=172\.17\.0\.100 dst=203\.0\.113\.8 ttl=63 at host:eth0/);
      t.regex(out, /stopped after 4 of 5 steps \(1 passed, 0 failed/);
      t.regex(out, /Your prediction was (right|wrong):/, 'the kept prediction is answered after the packets');
    } finally {
      await again.kill();
    }
    t.regex((await lab(['reset', '03'], { XDG_STATE_HOME: state })).stdout, /^forgot the progress of 03-masquerade$/);
  },
);

test.serial(
  "Ctrl-C inside the student's shell (twice) only clears the line; Ctrl-C at the menu after it tears the sandbox down: exit 130, no keeper left",
  async (t) => {
    const p = await Pane.start(['run', '03'], { XDG_STATE_HOME: stateDir() });
    try {
      await p.choose(/Predict:/);
      await p.choose(/Step bridge:/, 1);
      const screen = await p.waitFor(/\[host\]#\s*$/m);
      const runId = runIdOf(await p.history(true)) || runIdOf(screen);
      t.regex(runId, /^03-/);
      t.true(keeperAlive(runId));
      await p.keys(['C-c']);
      await p.keys(['C-c']);
      await p.waitFor(/\^C\s*\n\[host\]#\s*\^C\s*\n\[host\]#\s*$/m, 5_000);
      t.true(keeperAlive(runId), 'the lab goes on');
      await p.type('exit');
      await p.waitFor(/\? The check failed[^]*navigate/);
      await p.keys(['C-c']);
      t.is(await p.exitCode(), 130, await p.history());
      t.regex(await p.history(true), /03-masquerade: interrupted/);
      t.true(await waitFor(() => !keeperAlive(runId), 3000), `keeper of ${runId} left`);
      t.notRegex((await lab(['ps'])).stdout, new RegExp(runId));
    } finally {
      await p.kill();
    }
  },
);

test.serial(
  "a shell opened beside the walkthrough is told when the lab ends, and does not sit at the real machine's prompt",
  async (t) => {
    const walk = await Pane.start(['run', '03'], { XDG_STATE_HOME: stateDir() });
    let side: Pane | undefined;
    try {
      await walk.waitFor(/\? Predict:[^]*navigate/);
      const runId = runIdOf(await walk.history(true));
      side = await Pane.start(['shell', runId, 'host']);
      await side.waitFor(/\[host\]#\s*$/m);
      await side.type('ip -br link show eth0');
      await side.waitFor(/^eth0@/m);
      await walk.choose(/Predict:/);
      await walk.choose(/Step bridge:/, 3); // quit
      t.is(await walk.exitCode(), 130);
      t.is(await side.exitCode(), 3, await side.history());
      const said = flat(await side.history(true));
      t.regex(said, new RegExp(`the lab ended and its sandbox ${runId} \\(03-masquerade\\) is gone`));
      t.regex(said, /You are back on the real machine: commands typed here change this machine, not the lab\./);
    } finally {
      await walk.kill();
      await side?.kill();
    }
  },
);

test.serial('closing the terminal under a prompt still tears the sandbox down', async (t) => {
  const p = await Pane.start(['run', '03'], { XDG_STATE_HOME: stateDir() });
  let runId = '';
  try {
    await p.waitFor(/\? Predict:[^]*navigate/);
    runId = runIdOf(await p.history(true));
    t.true(keeperAlive(runId));
  } finally {
    await p.kill(); // the pane's terminal goes away: SIGHUP, and EIO under the prompt
  }
  t.true(await waitFor(() => !keeperAlive(runId), 10_000), `keeper of ${runId} left`);
  t.notRegex((await lab(['ps'])).stdout, new RegExp(runId));
});
