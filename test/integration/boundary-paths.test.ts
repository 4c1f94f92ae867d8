// The real root never resolves a path the sandbox can write. A lab's own commands and a person's shell,
// from host, wan, an extra node and a container, replace the files that name the nodes' namespaces
// (/run/netns/NODE, /run/lab/uts/NODE) and the container events file with links to the real machine's;
// every later way in (step commands, a shell, captures, the trace, a container restart, `lab shell` of
// a kept sandbox) stays inside the sandbox or refuses, and the real file the events link names is unchanged.
import test from '../helpers/root-test.js';
import { inNode } from '../helpers/node-shell.js';
import { execa } from 'execa';
import { mkdtempSync, readFileSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabEvents } from '../../src/engine/events.js';
import { loadLab } from '../../src/engine/loader.js';
import { LabSession } from '../../src/engine/session.js';
import { lab } from '../helpers/cli.js';
import { descendants, journal } from '../helpers/procs.js';

const FIXTURE = 'fixtures/labs/boundary.ts';
const REAL_NET = readlinkSync('/proc/self/ns/net');
const VICTIM_TEXT = 'root only\n';
const made: string[] = [];
test.after.always(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

// A folder of this test, removed after the file.
function folder(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  made.push(dir);
  return dir;
}

// A root-owned 0600 file in a test folder: what the events link points to.
function victim(): string {
  const path = join(folder('lab-boundary-'), 'victim');
  writeFileSync(path, VICTIM_TEXT, { mode: 0o600 });
  return path;
}

// The real machine's global addresses (a shell in the real network namespace would show them).
async function realAddresses(): Promise<string[]> {
  const out = String((await execa('ip', ['-o', 'addr', 'show', 'scope', 'global'])).stdout);
  return [...out.matchAll(/\binet6? ([^/\s]+)/g)].map((m) => m[1] ?? '').filter(Boolean);
}

// Replaces a pinned namespace file by a link to the namespace of whoever opens it (a lazy unmount:
// the runner holds the namespace open, so a plain one is refused as busy); fails if the link is not there.
const plant = (file: string, kind: string): string =>
  `umount -l ${file} 2>/dev/null; rm -f ${file}; ln -s /proc/self/ns/${kind} ${file} && test -L ${file}`;

// The runner's processes that must live in a node (captures, trace monitors, wan's web server, command
// runners) found in the real network namespace; nsenter itself is left out (it starts outside).
function watchRealNet(): { stop: () => string[] } {
  const seen = new Set<string>();
  const look = (): void => {
    for (const pid of descendants('')) {
      let cmd: string;
      let net: string;
      try {
        cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        net = readlinkSync(`/proc/${pid}/ns/net`);
      } catch {
        continue;
      }
      if (
        !cmd.startsWith('nsenter') &&
        /capture\/child\.js|nft -a monitor|wan-http\.js|^lab-agent/.test(cmd) &&
        net === REAL_NET
      )
        seen.add(cmd.slice(0, 120));
    }
  };
  const timer = setInterval(look, 25);
  timer.unref(); // a failed assertion must not keep the test process alive
  return { stop: () => (clearInterval(timer), look(), [...seen]) };
}

// Ends this process's descendants whose command line has `needle` (nsenter parents left alone).
function killAll(needle: string): number {
  const pids = descendants(needle).filter((pid) => !readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith('nsenter'));
  for (const pid of pids) process.kill(pid, 'SIGKILL');
  return pids.length;
}

test.serial(
  'a live session: after links planted by step commands and a shell, every way in stays inside',
  async (t) => {
    const file = victim();
    process.env.LAB_BOUNDARY_VICTIM = file;
    const real = await realAddresses();
    t.true(real.length > 0, 'the real machine has a global address to look for');
    const events = new LabEvents();
    const told: string[] = [];
    events.on('container', (e) => told.push(...e.addresses));
    const watch = watchRealNet();
    const session = await LabSession.open(await loadLab(FIXTURE), { events });
    try {
      // The lab's own commands plant from host, wan, peer and the container; a person's shell from host.
      for (const c of await session.runCommands('plant')) t.true(c.ok, `${c.display}: ${c.output}`);
      t.is(
        (await inNode(session, 'host', `${plant('/run/lab/uts/wan', 'uts')} && ${plant('/run/lab/uts/host', 'uts')}`))
          .code,
        0,
        'host planted',
      );
      // Every command runner and capture ends: the next command, shell and check in each node enter it afresh.
      t.true(killAll('lab-agent') >= 3, 'the command runners were found');
      t.true(killAll('capture/child.js') >= 2, 'the capture children were found');
      for (const node of ['host', 'wan', 'peer', 'c1']) {
        const r = await inNode(session, node, 'ip -o addr; hostname');
        t.is(r.code, 0, `${node}: ${r.out}`);
        for (const a of real) t.false(r.out.includes(a), `${node}: a shell saw the real address ${a}: ${r.out}`);
        t.is(r.out.trim().split('\n').at(-1), node, `${node}: its own hostname, not the machine's (${hostname()})`);
      }
      const after = await session.runCommands('after');
      for (const c of after) t.true(c.ok, `${c.display}: ${c.output}`);
      t.regex(
        after.find((c) => c.display === 'ip -o link')?.output ?? '',
        /\bup0\b/,
        'a step command in wan ran in wan',
      );
      t.is(after.find((c) => c.display === 'hostname')?.output.trim(), 'peer', 'a step command in peer ran in peer');
      // Captures started again after the plant: the second check has them all.
      await session.check('after');
      const check = await session.check('after');
      t.true(check?.pass, JSON.stringify(check?.expectations.filter((e) => !e.pass).map((e) => e.message)));
      const tr = await session.trace('after');
      t.is(tr.error, undefined);
      t.regex(
        tr.lines.join('\n'),
        /\[(wan|host)\] [^\n]*10\.0\.2\.2 -> 10\.0\.2\.15/,
        'the trace saw the packet inside the sandbox (addresses only its nodes have)',
      );
    } finally {
      await session.close();
      delete process.env.LAB_BOUNDARY_VICTIM;
    }
    t.deepEqual(
      watch.stop(),
      [],
      'no capture, monitor, web server or command runner ran in the real network namespace',
    );
    for (const a of real) t.false(told.includes(a), `a container event told the real address ${a}`);
    t.is(readFileSync(file, 'utf8'), VICTIM_TEXT, 'the real file the events link names is unchanged');
    t.is(statSync(file).mode & 0o777, 0o600);
  },
);

test.serial(
  'a lab whose commands plant the links passes with --trace, and the real file the events link names is unchanged',
  async (t) => {
    const file = victim();
    const dir = folder('lab-boundary-state-');
    const watch = watchRealNet();
    const r = await lab(['run', FIXTURE, '--check', '--trace', '--reporter', 'plain'], {
      LAB_BOUNDARY_VICTIM: file,
      LAB_STATE_DIR: dir,
    });
    t.is(readFileSync(file, 'utf8'), VICTIM_TEXT, 'the real file the events link names is unchanged');
    t.deepEqual(
      watch.stop(),
      [],
      'no capture, monitor, web server or command runner ran in the real network namespace',
    );
    t.is(r.exitCode, 0, `${r.stdout}\n${r.stderr}`);
    t.regex(
      r.stdout,
      /\[(wan|host)\] [^\n]*10\.0\.2\.2 -> 10\.0\.2\.15/,
      'the trace saw the packet inside the sandbox (addresses only its nodes have)',
    );
  },
);

test.serial(
  'a kept sandbox: after a plant from any node, `lab shell` into the planted node refuses and never shows the real machine',
  async (t) => {
    const dir = folder('lab-boundary-state-');
    const env = { LAB_STATE_DIR: dir };
    const real = await realAddresses();
    const run = await lab(['run', FIXTURE, '--skip', 'plant', '--check', '--keep', '--reporter', 'plain'], env);
    t.is(run.exitCode, 0, `${run.stdout}\n${run.stderr}`);
    const id = journal(dir)[0]?.runId ?? '';
    const shell = (node: string, line: string): ReturnType<typeof lab> =>
      lab(['shell', id, node, 'sh', '-c', line], env);
    try {
      // Before any plant, every node is entered and is itself.
      for (const node of ['host', 'wan', 'peer', 'c1']) {
        const r = await shell(node, 'hostname');
        t.is(`${r.exitCode} ${r.stdout.trim()}`, `0 ${node}`, r.stderr);
      }
      // The container tries first (a double chroot out of its root, where it can), then each plain node.
      await shell(
        'c1',
        `perl -e 'mkdir "/x"; chroot "/x"; chdir "../../../../.."; chroot "."; exec "/bin/sh", "-c", "${plant('/run/lab/uts/host', 'uts')}"' 2>/dev/null; true`,
      );
      // Each attacker is a node not refused yet (host attacks in the live session's test).
      const attacks: [string, string, string][] = [
        ['wan', plant('/run/netns/host', 'net'), 'host'],
        ['peer', plant('/run/lab/uts/wan', 'uts'), 'wan'],
        ['peer', plant('/run/netns/peer', 'net'), 'peer'],
      ];
      for (const [from, line, target] of attacks) {
        t.is((await shell(from, line)).exitCode, 0, `${from} planted`);
        const r = await shell(target, 'ip -o addr; hostname');
        t.is(r.exitCode, 3, `${target}: lab shell did not refuse: ${r.stdout}${r.stderr}`);
        t.regex(
          r.stderr,
          new RegExp(`refusing to enter ${target} of sandbox ${id}: /run/(netns|lab/uts)/${target} is a symbolic link`),
        );
        for (const a of real) t.false(r.stdout.includes(a), `${target}: the real address ${a} was shown`);
      }
      // The container, entered through its own PID 1's namespaces, is still itself.
      const c1 = await shell('c1', 'ip -o addr; hostname');
      t.is(c1.exitCode, 0, c1.stderr);
      t.is(c1.stdout.trim().split('\n').at(-1), 'c1');
      for (const a of real) t.false(c1.stdout.includes(a), `c1: the real address ${a} was shown`);
    } finally {
      await lab(['clean', id], env);
    }
  },
);
