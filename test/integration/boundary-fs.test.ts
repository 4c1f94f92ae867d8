// What a node can see and write, tried as an attacker would from host, wan, an extra node and a
// container, once through a person's shell (session.shell) and once as a lab's step commands: the
// root filesystem cache is never writable (no setuid file on the real disk), a container's double
// chroot finds only its own files, writes land in the sandbox's own capped tmpfs (a write beyond the
// cap fails with ENOSPC) and are gone after close, no node sees a key of the runner's session keyring,
// and a checkout no node can see (a private folder under /tmp) still gives every node nat66 and lk.
import type { ExecutionContext } from 'ava';
import test from '../helpers/root-test.js';
import { execa } from 'execa';
import { cpSync, existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LabEvents } from '../../src/engine/events.js';
import { LabSession } from '../../src/engine/session.js';
import { defineLab, on } from '../../src/lab.js';
import { cachedRootfs } from '../../src/sandbox/rootfs.js';
import { syscallNumbers } from '../../src/sys/syscalls.js';
import { ROOT } from '../helpers/cli.js';

const NODES = ['host', 'wan', 'peer', 'box'];
const DISK_MB = 48; // the lab's own cap, so a write beyond it is quick
const SECRET = `lab-secret-${process.pid}`;
const NR = syscallNumbers(); // add_key and keyctl (KEYCTL_SEARCH 10, KEYCTL_REVOKE 3, KEYCTL_JOIN_SESSION_KEYRING 1)
const REAL_DIRS = ['/tmp', '/var/tmp', '/dev/shm'];
const mark = (way: string): string => `lab-boundary-${process.pid}-${way}`;

// A key in the session keyring of whoever runs this perl (shared with its parent's, when it has one).
const ADD_KEY = `my ($t, $d, $p) = ("user", "${SECRET}", "hunter2"); my $id = syscall(${NR.add_key}, $t, $d, $p, length $p, -3); die "add_key: $!\\n" if $id < 0; print "$id\\n"`;
const FIND_KEY = `perl -e 'my ($t, $d) = ("user", "${SECRET}"); print syscall(${NR.keyctl}, 10, -3, $t, $d, 0) > 0 ? "KEY-FOUND\\n" : "no key\\n"'`;

// Writes a node may make: its own /tmp, /var/tmp and /dev/shm.
const inside = (m: string): string => REAL_DIRS.map((d) => `echo x > ${d}/${m} && echo "wrote ${d}"`).join('; ');

// Each way out, one line printing HOLE when it got through.
function attacks(node: string, cache: string, m: string): string {
  const lines = [
    `cp /bin/true ${cache}/${m} 2>/dev/null && chmod 4755 ${cache}/${m} && echo HOLE-setuid-in-cache`,
    `mount -o remount,bind,rw,suid ${cache} 2>/dev/null && echo HOLE-cache-rw`,
    `mkdir -p /tmp/v && mount --bind ${cache} /tmp/v 2>/dev/null && mount -o remount,bind,rw,suid /tmp/v 2>/dev/null && echo HOLE-cache-rebound-rw`,
    FIND_KEY,
  ];
  if (node === 'box') {
    lines.push(
      `perl -e 'mkdir "/x"; chroot "/x"; chdir "../../../../.."; chroot "."; exec "/bin/sh", "-c", "test -e ${ROOT}package.json && echo HOLE-chroot-escape"'`,
    );
    lines.push(`dd if=/dev/zero of=/big bs=1M count=1024 2>&1 | tail -4; rm -f /big`);
  } else {
    lines.push(`dd if=/dev/zero of=/tmp/big bs=1M count=1024 2>&1 | tail -4; rm -f /tmp/big`);
  }
  return lines.join('\n');
}

// Last, from plain nodes: take the sandbox's tmpfs away and write what is under it (the real folders).
const reveal = (m: string): string =>
  `for d in ${REAL_DIRS.join(' ')}; do umount -l $d 2>/dev/null; echo x > $d/${m}.real 2>/dev/null && echo "HOLE-real $d"; done; echo tried`;
const PLAIN = NODES.filter((n) => n !== 'box');

// A lab of the four kinds of node, whose steps are the writes and the attacks.
function boundaryLab(cache: string, m: string) {
  return defineLab({
    id: '96-boundary',
    title: 'Boundary fixture',
    summary: "fixture: the attacks of the boundary test, as a lab's step commands",
    topology: { containers: { box: {} }, nodes: { peer: { role: 'an extra node' } } },
    limits: { diskMb: DISK_MB },
    steps: [
      {
        id: 'inside',
        title: 'Writes inside',
        explain: 'Each node writes its temporary folders.',
        run: NODES.map((n) => on(n, inside(m))),
      },
      {
        id: 'attack',
        title: 'Attacks',
        explain: 'Each node tries the ways out.',
        run: NODES.map((n) => on(n, attacks(n, cache, m))),
      },
      {
        id: 'reveal',
        title: 'Under the tmpfs',
        explain: 'Each plain node writes under its tmpfs.',
        run: PLAIN.map((n) => on(n, reveal(m))),
      },
    ],
  });
}

// What each node printed for both steps, by way of `run`.
type Runner = (session: LabSession, node: string, line: string) => Promise<string>;

async function attempt(t: ExecutionContext, way: string, run: Runner): Promise<void> {
  const rootfs = cachedRootfs();
  if (!rootfs) throw new Error('no cached root filesystem: run `lab rootfs build` first');
  const m = mark(way);
  const session = await LabSession.open(
    { def: boundaryLab(rootfs.path, m), file: 'boundary' },
    { events: new LabEvents() },
  );
  try {
    for (const node of NODES) {
      const out = await run(session, node, inside(m));
      for (const d of REAL_DIRS)
        t.regex(out, new RegExp(`^wrote ${d}$`, 'm'), `${way} ${node}: its own ${d} is writable: ${out}`);
    }
    for (const node of NODES) {
      const out = await run(session, node, attacks(node, rootfs.path, m));
      t.notRegex(out, /HOLE/, `${way} ${node}: ${out}`);
      t.regex(out, /^no key$/m, `${way} ${node}: the runner's key is not in reach: ${out}`);
      t.regex(out, /No space left on device/, `${way} ${node}: a write beyond the cap stops: ${out}`);
      const mb = Number(/^(\d+) bytes/m.exec(out)?.[1] ?? 0) / 2 ** 20;
      t.true(mb > DISK_MB / 2 && mb <= DISK_MB, `${way} ${node}: stopped at the cap of ${DISK_MB} MiB, not at ${mb}`);
      t.false(existsSync(`${rootfs.path}/${m}`), `${way} ${node}: a file landed in the real cache`);
    }
    for (const node of PLAIN) {
      const out = await run(session, node, reveal(m));
      t.regex(out, /tried/, `${way} ${node}: ${out}`);
      t.notRegex(out, /HOLE/, `${way} ${node}: ${out}`);
    }
  } finally {
    await session.close();
  }
  for (const d of REAL_DIRS) {
    for (const f of [`${d}/${m}`, `${d}/${m}.real`]) {
      const left = existsSync(f);
      if (left) rmSync(f);
      t.false(left, `${way}: ${f} outlived the sandbox`);
    }
  }
  if (existsSync(`${rootfs.path}/${m}`)) rmSync(`${rootfs.path}/${m}`);
}

test.serial("through a person's shell in each node, nothing gets out and nothing is left", async (t) => {
  // The shell starts from a process whose session keyring holds a secret, as a login session's would.
  await attempt(t, 'shell', async (session, node, line) => {
    const sh = session.shell(node, ['sh', '-c', line]);
    const r = await execa(
      'perl',
      ['-e', `syscall(${NR.keyctl}, 1, 0) >= 0 or die; ${ADD_KEY}; exec { $ARGV[0] } @ARGV`, ...sh.argv],
      { env: sh.env, extendEnv: false, reject: false, timeout: 30_000, all: true },
    );
    return String(r.all);
  });
});

test.serial("through a lab's step commands in each node, nothing gets out and nothing is left", async (t) => {
  // The secret goes into this process's own session keyring (a child's add_key lands in the keyring it shares).
  const key = await execa('perl', ['-e', ADD_KEY], { reject: false });
  t.is(key.exitCode, 0, `a key in the runner's session keyring: ${key.stderr}`);
  t.teardown(() => void execa('perl', ['-e', `syscall(${NR.keyctl}, 3, ${Number(key.stdout)})`], { reject: false })); // KEYCTL_REVOKE
  // Only a process that has a session keyring shares it with its children (run the suite under one,
  // e.g. from a login shell, to try this way too); the shell test above always makes one.
  const seen = await execa('perl', ['-e', FIND_KEY.slice("perl -e '".length, -1)]);
  if (seen.stdout.trim() !== 'KEY-FOUND') t.log('this process has no session keyring: no key of its own to leak');
  await attempt(t, 'step', async (session, node, line) => {
    const step = line.startsWith('echo x') ? 'inside' : line.startsWith('for d') ? 'reveal' : 'attack';
    const nodes = step === 'reveal' ? PLAIN : NODES;
    const recs = await session.runCommands(step, { omit: nodes.map((_, i) => i).filter((i) => nodes[i] !== node) });
    return recs.map((r) => r.output).join('\n');
  });
});

test.serial(
  'from a checkout in a private folder under /tmp, the nodes and the containers run nat66 (labs 07 and 06 pass)',
  async (t) => {
    // A copy of the build where no node can follow its path: under /tmp (each sandbox has its own) in a
    // folder only the real root may enter. The tools reach the nodes bound in by the real root.
    const dir = mkdtempSync(join(tmpdir(), 'lab-checkout-'));
    t.teardown(() => rmSync(dir, { recursive: true, force: true }));
    const co = join(dir, 'co');
    mkdirSync(join(co, 'rootfs'), { recursive: true });
    cpSync(join(ROOT, 'dist'), join(co, 'dist'), { recursive: true });
    cpSync(join(ROOT, 'package.json'), join(co, 'package.json'));
    cpSync(join(ROOT, 'rootfs/recipe.json'), join(co, 'rootfs/recipe.json'));
    symlinkSync(join(ROOT, 'node_modules'), join(co, 'node_modules'));
    const env = { CI: 'true', LAB_ROOTFS_CACHE: join(ROOT, 'rootfs/cache'), LAB_STATE_DIR: join(dir, 'state') };
    for (const id of ['07-nptv6', '06-project-networks']) {
      const r = await execa(process.execPath, [join(co, 'dist/src/cli/main.js'), 'check', id], {
        env,
        reject: false,
        timeout: 120_000,
        all: true,
      });
      t.is(r.exitCode, 0, `${id} from ${co}: ${String(r.all).slice(-2000)}`);
      t.notRegex(String(r.all), /Cannot find module/, id);
    }
  },
);
