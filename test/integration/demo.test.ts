// `lab demo` in a real terminal (tmux): stepping through lab 03 with keys, live packets with the NAT
// rewrite, continuous traffic, a clean quit, an 80x24 screen where every pane and packet line is whole,
// and p going back to a new sandbox whose packet panes show only its own packets.
// One at a time: each drives a full-screen terminal and a sandbox, and side by side on a small machine
// their bounded waits raced the screen.
import test from '../helpers/root-test.js';
import { tempDir } from '../helpers/temp.js';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { MAIN } from '../helpers/cli.js';
import { alive, journal, pidNamespace, processesIn, waitFor } from '../helpers/procs.js';
import { blackText, boxText, coloured, findBoxes, Tmux, type Box } from '../helpers/tmux.js';

const READY = /sandbox \S+ ready[\s\S]*no step run yet/;

// Starts the demo of lab 03 in a fresh tmux server; the shell line prints its exit code after it ends.
async function startDemo(
  t: { teardown: (fn: () => Promise<void>) => void },
  cols: number,
  rows: number,
  env: Record<string, string> = {},
): Promise<{ tmux: Tmux; dir: string }> {
  const dir = tempDir('lab-demo-');
  const tmux = new Tmux();
  t.teardown(() => tmux.kill());
  await tmux.start(`${process.execPath} ${MAIN} demo 03-masquerade; echo DEMO-EXIT=$?; sleep 120`, cols, rows, {
    LANG: 'C.UTF-8',
    LAB_STATE_DIR: dir,
    TERM: 'screen-256color',
    ...env,
  });
  return { tmux, dir };
}

// Presses n and waits until step i has run (its number on the help line, nothing busy).
async function step(tmux: Tmux, i: number): Promise<string> {
  await tmux.keys('n');
  const r = await tmux.waitFor((s) => s.includes(` ${i}/5 `) && !s.includes('running the next step'), 20_000);
  if (!r.ok) throw new Error(`step ${i} did not finish:\n${r.screen}`);
  return r.screen;
}

// A process's command line, for messages.
function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '(gone)';
  }
}

const pane = (screen: string, label: string): Box | undefined => findBoxes(screen).boxes.find((b) => b.label === label);

test.serial(
  'demo at 120x40: keys step through lab 03, host:eth0 shows 10.0.2.15 highlighted, t keeps packets coming, q leaves nothing',
  async (t) => {
    const { tmux, dir } = await startDemo(t, 120, 40);
    const ready = await tmux.waitFor((s) => READY.test(s), 30_000);
    t.true(ready.ok, ready.screen);
    const [entry] = journal(dir);
    t.truthy(entry, 'the demo runs a journaled sandbox');
    const pidns = pidNamespace(entry?.initPid ?? 0);
    let screen = '';
    for (let i = 1; i <= 5; i++) screen = await step(tmux, i);
    const eth0 = pane(screen, 'packets at host:eth0');
    const br0 = pane(screen, 'packets at host:br0');
    t.truthy(eth0, screen);
    t.truthy(br0, screen);
    const eth0Lines = boxText(screen, eth0 as Box);
    t.true(
      eth0Lines.some((l) => /▶ 10\.0\.2\.15 *(->|→) *203\.0\.113\.8 +(ICMP +)?echo-request/.test(l)),
      eth0Lines.join('\n'),
    );
    t.true(
      eth0Lines.some((l) => /◀ 203\.0\.113\.8 *(->|→) *10\.0\.2\.15 +(ICMP +)?echo-reply/.test(l)),
      'replies are marked apart from requests',
    );
    t.true(
      boxText(screen, br0 as Box).some((l) =>
        /▶ 172\.17\.0\.100 *(->|→) *203\.0\.113\.8 +(ICMP +)?echo-request/.test(l),
      ),
      'the same flow before the rewrite, on br0',
    );
    t.regex(
      await tmux.screen(true),
      /\x1b\[[0-9;]*44m10\.0\.2\.15/,
      'the rewritten source is highlighted (blue background)',
    );
    t.regex(screen, /✔ 1 bridge/);
    t.regex(screen, /▶ 5 masquerade/);
    t.regex(
      await commandsText(tmux),
      /PASS seen 3 ICMP echo-request src=10\.0\.2\.15/,
      'the verdict, in the commands pane or above with PgUp',
    );
    // Traffic on: new packet lines keep arriving while nobody presses anything.
    await tmux.keys('t');
    t.true((await tmux.waitFor((s) => s.includes('traffic ON'), 5_000)).ok);
    const last = (s: string): string => {
      const b = pane(s, 'packets at host:eth0');
      return b
        ? (boxText(s, b)
            .filter((l) => l.trim())
            .at(-1) ?? '')
        : '';
    };
    // The newest line's time is seen to change twice with no key pressed (bounded, not timed).
    const stamps = new Set<string>();
    const moving = await tmux.waitFor((s) => {
      const stamp = /\d+\.\d{3}/.exec(last(s))?.[0];
      if (stamp) stamps.add(stamp);
      return stamps.size >= 3;
    }, 15_000);
    t.true(moving.ok, `the newest line changed while idle: ${[...stamps].join(' | ')}`);
    await tmux.keys('q');
    const end = await tmux.waitFor((s) => /DEMO-EXIT=\d+/.test(s), 15_000);
    t.regex(end.screen, /demo ended; sandbox removed/);
    t.regex(end.screen, /DEMO-EXIT=0/);
    t.false(alive(entry?.initPid ?? 0), 'no keeper');
    t.false(alive(entry?.outerPid ?? 0));
    // The kernel kills what is left in the PID namespace when its init goes; give their exits a moment.
    const gone = await waitFor(() => processesIn(pidns ?? 'none').length === 0, 2_000);
    t.true(
      gone,
      `no process in the sandbox: ${processesIn(pidns ?? 'none')
        .map((p) => `${p} ${cmdline(p)}`)
        .join('; ')}`,
    );
    t.deepEqual(journal(dir), [], 'no journal entry');
  },
);

// A packet line that kept what matters, whole: ▶/◀, both addresses, the protocol and the kind, no word cut.
const WHOLE_PACKET =
  /^(\d+\.\d{3} )?[▶◀] \d+(\.\d+){3} *(->|→) *\d+(\.\d+){3}( ICMP| ARP)? (echo(-request|-reply)?|who-has|is-at)( [a-z]+=\d+)*$/;

test.serial(
  'demo resized to 80x24: every pane is shown whole, none overlaps another, packet lines fit their panes whole; a closed terminal leaves nothing',
  async (t) => {
    const { tmux, dir } = await startDemo(t, 100, 30);
    t.true((await tmux.waitFor((s) => READY.test(s), 30_000)).ok);
    await step(tmux, 1);
    await step(tmux, 2);
    await tmux.resize(80, 24);
    // Read once the redraw is done (a screen read halfway keeps a line of the old layout), bounded.
    const { screen } = await tmux.waitFor(
      (s) =>
        s.split('\n').filter((l) => l.trim()).length <= 24 &&
        /^┌─ topology ─+┐$/m.test(s) &&
        [...(s.split('\n')[0] ?? '')].length === 80 &&
        findBoxes(s).broken.length === 0,
      10_000,
    );
    const rows = screen.split('\n');
    t.true(rows.every((r) => [...r].length <= 80));
    const { boxes, broken } = findBoxes(screen);
    t.deepEqual(broken, [], screen);
    const outer = boxes.filter(
      (b) =>
        !boxes.some((o) => o !== b && o.top <= b.top && o.left <= b.left && o.bottom >= b.bottom && o.right >= b.right),
    );
    t.deepEqual(
      outer.map((b) => b.label.replace(/ ↑.*$/, '')).sort(),
      ['commands', 'packets at host:br0', 'packets at host:veth1', 'steps', 'topology'],
      screen,
    );
    for (const a of outer)
      for (const b of outer)
        if (a !== b)
          t.false(
            a.left <= b.right && b.left <= a.right && a.top <= b.bottom && b.top <= a.bottom,
            `${a.label} overlaps ${b.label}`,
          );
    const topo = outer.find((b) => b.label === 'topology') as Box;
    const inner = boxes.filter((b) => b !== topo && b.top > topo.top && b.bottom < topo.bottom);
    t.deepEqual(
      inner.map((b) => b.label).sort(),
      ['host', 'mycontainer', 'wan'],
      'the node boxes are whole inside the topology',
    );
    t.true(boxText(screen, topo).join('\n').includes('172.17.0.100'), 'the container address is drawn');
    t.regex(
      rows.filter((r) => r.trim()).at(-1) ?? '',
      /n next +p back +t traffic off +r probes +space pause +\? ask +q quit/,
    );
    // Step 2's ARP and echo lines in two 40-column panes: each keeps its marker, addresses and kind whole.
    for (const label of ['packets at host:br0', 'packets at host:veth1']) {
      const lines = boxText(screen, pane(screen, label) as Box)
        .map((l) => l.trimEnd())
        .filter((l) => l);
      t.true(lines.length >= 4, `${label} shows step 2's packets:\n${screen}`);
      const cut = lines.filter((l) => !WHOLE_PACKET.test(l));
      t.deepEqual(cut, [], `${label}: lines cut or without ▶/◀ SRC → DST kind`);
    }
    // The terminal goes away (SIGHUP, writes fail with EIO): the sandbox is still removed.
    const [entry] = journal(dir);
    await tmux.kill();
    t.true(
      await waitFor(() => journal(dir).length === 0 && !alive(entry?.initPid ?? 0), 15_000),
      'closing the terminal leaves nothing',
    );
  },
);

test.serial(
  "demo p goes back: a new sandbox with the steps before replayed, its packet panes emptied of the old sandbox's packets, r shows the new one's",
  async (t) => {
    const { tmux, dir } = await startDemo(t, 100, 30);
    t.true((await tmux.waitFor((s) => READY.test(s), 30_000)).ok);
    await step(tmux, 1);
    const at2 = await step(tmux, 2);
    const br0 = (s: string): string[] => {
      const b = pane(s, 'packets at host:br0');
      return b
        ? boxText(s, b)
            .map((l) => l.trimEnd())
            .filter((l) => l)
        : [];
    };
    t.true(
      br0(at2).some((l) => l.includes('172.17.0.100')),
      `step 2 showed the container's packets on br0:\n${at2}`,
    );
    // p: back one step, in a new sandbox (the old one removed) with step 1's commands replayed.
    const before = journal(dir).map((e) => e.runId);
    await tmux.keys('p');
    const back = await tmux.waitFor((s) => s.includes(' 1/5 bridge') && !s.includes('rebuilding'), 20_000);
    t.true(back.ok, back.screen);
    t.regex(back.screen, /▶ 1 bridge/);
    const after = journal(dir).map((e) => e.runId);
    t.is(after.length, 1);
    t.notDeepEqual(after, before);
    // At step 1 the container is not wired yet: no packet of 172.17.0.100 can exist in this sandbox.
    t.truthy(pane(back.screen, 'packets at host:br0'), back.screen);
    t.deepEqual(
      br0(back.screen).filter((l) => l.includes('172.17.0.100')),
      [],
      "the old sandbox's packets are gone from br0",
    );
    // r: step 1's probes in the new sandbox; their packets (the host asking for 172.17.0.2) show.
    await tmux.keys('r');
    const probed = await tmux.waitFor(
      (s) => br0(s).some((l) => /who-has/.test(l) && l.includes('172.17.0.2')) && !s.includes('sending the probes'),
      15_000,
    );
    t.true(probed.ok, probed.screen);
    t.deepEqual(
      br0(probed.screen).filter((l) => l.includes('172.17.0.100')),
      [],
      'still none of the old sandbox',
    );
    await tmux.keys('q');
    const end = await tmux.waitFor((s) => /DEMO-EXIT=\d+/.test(s), 15_000);
    t.regex(end.screen, /DEMO-EXIT=0/);
    t.deepEqual(journal(dir), [], 'no journal entry');
  },
);

test.serial(
  'demo colours under TERM=tmux-256color, at 120x40 and at 80x24: no text drawn in black (borders, times, explanations, verdicts, packets)',
  async (t) => {
    const { tmux } = await startDemo(t, 120, 40, { TERM: 'tmux-256color' });
    t.true((await tmux.waitFor((s) => READY.test(s), 30_000)).ok);
    await step(tmux, 1);
    const at2 = await step(tmux, 2);
    t.true(at2.includes('PASS') && /who-has|echo/.test(at2), `step 2 drew verdicts and packets:\n${at2}`);
    const wide = await tmux.screen(true);
    t.true(coloured(wide).length > 0, 'the demo draws in colour');
    t.deepEqual(blackText(wide), [], 'black text at 120x40');
    await tmux.resize(80, 24);
    await tmux.waitFor((s) => [...(s.split('\n')[0] ?? '')].length === 80 && /^┌─ topology ─+┐$/m.test(s), 5_000);
    t.deepEqual(blackText(await tmux.screen(true)), [], 'black text at 80x24');
    await tmux.keys('q');
    t.true((await tmux.waitFor((s) => /DEMO-EXIT=0/.test(s), 15_000)).ok);
  },
);

test.serial('demo under NO_COLOR draws no colour at all, the NAT highlight included', async (t) => {
  const { tmux } = await startDemo(t, 120, 40, { TERM: 'xterm-256color', NO_COLOR: '1' });
  t.true((await tmux.waitFor((s) => READY.test(s), 30_000)).ok);
  await step(tmux, 1);
  const at1 = await tmux.screen(true);
  t.true(at1.includes('PASS'), at1);
  t.deepEqual(coloured(at1), [], 'no colour escapes');
  await tmux.keys('q');
  t.true((await tmux.waitFor((s) => /DEMO-EXIT=0/.test(s), 15_000)).ok);
});

// The veth step's seven commands, as the lab types them.
const VETH_COMMANDS = [
  'ip link add veth1 type veth peer name eth0 netns mycontainer',
  'ip link set dev veth1 up',
  'ip link set dev veth1 master br0',
  'ip addr add 172.17.0.100/24 dev eth0',
  'ip link set dev eth0 up',
  'ip link set lo up',
  'ip route add default via 172.17.0.1',
];

// Everything the commands pane holds, read page by page with PgUp (the label says how many rows are
// above), joined into one text with the wrapping undone; End goes back to the newest.
async function commandsText(tmux: Tmux): Promise<string> {
  const rows = new Map<number, string>();
  for (let i = 0; i < 200; i++) {
    const s = await tmux.screen();
    const b = pane(s, 'commands') ?? findBoxes(s).boxes.find((x) => x.label.startsWith('commands'));
    if (!b) throw new Error(`no commands pane:\n${s}`);
    const top = Number(/↑(\d+)/.exec(b.label)?.[1] ?? 0);
    boxText(s, b).forEach((l, k) => rows.set(top + k, l.trimEnd()));
    if (top === 0) break;
    await tmux.keys('PPage');
    await tmux.waitFor(
      (x) =>
        !(
          findBoxes(x)
            .boxes.find((y) => y.label.startsWith('commands'))
            ?.label.includes(`↑${top} `) ?? false
        ),
      2_000,
    );
  }
  await tmux.keys('End');
  return [...rows.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([, l]) => l)
    .join('\n')
    .replace(/\n {4}/g, ' ');
}

// The text lines of a packet pane (its label may say it is paused).
const packetPane = (s: string, point: string): string[] => {
  const b = findBoxes(s).boxes.find((x) => x.label === `packets at ${point}` || x.label.startsWith(`${point} ‖`));
  return b
    ? boxText(s, b)
        .map((l) => l.trimEnd())
        .filter((l) => l)
    : [];
};

for (const [cols, rows] of [
  [80, 24],
  [120, 40],
] as const) {
  test(`demo at ${cols}x${rows} under tmux-256color teaches: the veth step's seven commands reachable with PgUp, ? asks the class, both ttl values at forward, the step marked in every packet pane`, async (t) => {
    const { tmux } = await startDemo(t, cols, rows, { TERM: 'tmux-256color' });
    t.true((await tmux.waitFor((s) => READY.test(s), 30_000)).ok);
    await step(tmux, 1);
    await step(tmux, 2);
    // The topology is redrawn from the wiring after the step, what the step added highlighted.
    t.regex(await tmux.screen(true), /\x1b\[[0-9;]*44mveth1/, 'the veth the step added is highlighted');
    const cmds = await commandsText(tmux);
    for (const c of VETH_COMMANDS) t.true(cmds.includes(`$ ${c}`), `"${c}" in the commands pane:\n${cmds}`);
    t.true(
      cmds.includes('A veth pair is a virtual cable') && cmds.includes('the same packets pass veth1 and br0.'),
      'the whole explanation',
    );
    // ?: the next step's prediction, with its choices, before it runs; its answer after.
    await tmux.keys('?');
    const asked = await tmux.waitFor((s) => s.includes('ask the class: step 3 observe'), 5_000);
    t.true(asked.ok, asked.screen);
    t.regex(asked.screen, /How far do its echo/);
    t.regex(asked.screen, /a\) nowhere: they never leave the container/);
    t.regex(asked.screen, /c\) out of eth0, with no reply/);
    const at3 = await step(tmux, 3);
    t.notRegex(await tmux.screen(true), /\x1b\[[0-9;]*44mveth1/, 'a step that wires nothing highlights nothing');
    t.false(at3.includes('ask the class'), 'n hides the question');
    t.regex(at3, /answer: b\) to br0 on the host, but not out of eth0/);
    t.true(
      packetPane(at3, 'host:eth0').some((l) => /^── step 3 observe ─+$/.test(l)),
      `a marker in the eth0 pane (nothing else is captured there):\n${at3}`,
    );
    const at4 = await step(tmux, 4);
    t.true(
      packetPane(at4, 'host:br0').some((l) => /172\.17\.0\.100 *(->|→) *203\.0\.113\.8 .*ttl=64$/.test(l)),
      `ttl=64 on br0:\n${at4}`,
    );
    t.true(
      packetPane(at4, 'host:eth0').some((l) => /172\.17\.0\.100 *(->|→) *203\.0\.113\.8 .*ttl=63$/.test(l)),
      `ttl=63 on eth0:\n${at4}`,
    );
    t.true(
      packetPane(at4, 'host:br0').some((l) => /^── step 4 forward ─+$/.test(l)) ||
        packetPane(at4, 'host:eth0').some((l) => /^── step 4 forward ─+$/.test(l)),
      'the step marked',
    );
    await tmux.keys('q');
    t.true((await tmux.waitFor((s) => /DEMO-EXIT=0/.test(s), 15_000)).ok);
  });
}

test.serial(
  'demo space pauses the packet flow (new lines held and counted) and resumes it; replies rewritten back are highlighted on br0',
  async (t) => {
    const { tmux } = await startDemo(t, 120, 40, { TERM: 'tmux-256color' });
    t.true((await tmux.waitFor((s) => READY.test(s), 30_000)).ok);
    for (let i = 1; i <= 4; i++) await step(tmux, i);
    await tmux.keys('t');
    t.true((await tmux.waitFor((s) => s.includes('traffic ON') && packetPane(s, 'host:eth0').length > 3, 20_000)).ok);
    await tmux.keys('Space');
    const held = await tmux.waitFor((s) => /PAUSED, [1-9]\d* new lines held/.test(s), 20_000);
    t.true(held.ok, `lines are held while paused:\n${held.screen}`);
    const frozen = packetPane(held.screen, 'host:eth0');
    const more = await tmux.waitFor(
      (s) =>
        Number(/PAUSED, (\d+) new/.exec(s)?.[1] ?? 0) > Number(/PAUSED, (\d+) new/.exec(held.screen)?.[1] ?? 0) + 2,
      20_000,
    );
    t.true(more.ok, 'the count of held lines grows');
    t.deepEqual(packetPane(more.screen, 'host:eth0'), frozen, 'no new line while paused');
    t.regex(more.screen, /host:eth0 ‖ paused, \d+ new/);
    await tmux.keys('Space');
    const resumed = await tmux.waitFor(
      (s) => !s.includes('PAUSED') && packetPane(s, 'host:eth0').join('\n') !== frozen.join('\n'),
      20_000,
    );
    t.true(
      resumed.ok,
      `new lines after space again (still paused: ${resumed.screen.includes('PAUSED')}):\n${resumed.screen}`,
    );
    await step(tmux, 5);
    const escaped = await tmux.screen(true);
    t.regex(escaped, /\x1b\[[0-9;]*44m172\.17\.0\.100/, 'the destination rewritten back is highlighted on br0');
    t.regex(escaped, /\x1b\[[0-9;]*44m10\.0\.2\.15/);
    await tmux.keys('q');
    t.true((await tmux.waitFor((s) => /DEMO-EXIT=0/.test(s), 15_000)).ok);
  },
);
