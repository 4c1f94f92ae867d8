// Containment: from inside every node, through the very path a student's shell takes (session.shell),
// each escape the issue lists is refused by the kernel, the labs' own kind of steps still work, every
// node has its own hostname, and the real machine is unchanged afterwards.
import test from '../helpers/root-test.js';
import { inNode } from '../helpers/node-shell.js';
import { execa } from 'execa';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { hostname } from 'node:os';
import { LabEvents } from '../../src/engine/events.js';
import { loadLab } from '../../src/engine/loader.js';
import { LabSession } from '../../src/engine/session.js';
import { syscallNumbers } from '../../src/sys/syscalls.js';

const NODES = ['host', 'wan', 'mycontainer'];
const INIT_MODULE = `perl -e 'syscall(${syscallNumbers().init_module}, 0, 0, 0); print $!+0'`; // init_module(2), errno printed

// A real disk of this machine (not a loop or ram device), to try to mount from inside.
function realDisk(): string | undefined {
  return readdirSync('/sys/block').find((d) => !/^(loop|ram|zram|dm-)/.test(d));
}

test('from every node, each escape is refused by the kernel and the real machine is unchanged', async (t) => {
  const session = await LabSession.open(await loadLab('03-masquerade'), { events: new LabEvents() });
  const realName = hostname();
  const realUts = readlinkSync('/proc/self/ns/uts');
  const realIpc = readlinkSync('/proc/self/ns/ipc');
  const panic = readFileSync('/proc/sys/kernel/panic', 'utf8');
  const disk = realDisk();
  const outsideModule = String((await execa('sh', ['-c', INIT_MODULE])).stdout).trim();
  const marker = `/etc/lab-escape-${process.pid}`;
  const victim = spawn('sleep', ['60'], { stdio: 'ignore' }); // a process outside the sandbox
  const utsSeen = new Set<string>();
  try {
    for (const node of NODES) {
      const refused = async (what: string, line: string, why: RegExp): Promise<void> => {
        const r = await inNode(session, node, line);
        t.not(r.code, 0, `${node}: ${what} succeeded: ${r.out}`);
        t.regex(r.out, why, `${node}: ${what} failed for another reason than the kernel's refusal`);
      };
      // Root inside, an unprivileged id range outside.
      const map = (await inNode(session, node, 'cat /proc/self/uid_map')).out.trim().split(/\s+/).map(Number);
      t.is(map[0], 0, `${node}: root inside`);
      t.true(
        (map[1] ?? 0) >= 65_536 && map[2] === 65_536,
        `${node}: mapped to an unprivileged range, not the real root: ${map.join(' ')}`,
      );
      if (disk)
        await refused(
          `mount /dev/${disk}`,
          `mkdir -p /tmp/m && mount -o ro /dev/${disk} /tmp/m`,
          /permission denied|not permitted|does not exist|No such file/i,
        );
      await refused(
        'mount devtmpfs',
        'mkdir -p /tmp/d && mount -t devtmpfs lab-escape /tmp/d',
        /permission denied|not permitted/i,
      );
      await refused('mknod', 'mknod /tmp/lab-disk b 8 0', /Operation not permitted/);
      await refused(
        'write /proc/sys/kernel',
        'cat /proc/sys/kernel/panic > /proc/sys/kernel/panic',
        /Permission denied|Read-only/i,
      );
      // init_module(2) itself (x86-64: 175): EPERM is the refusal; the real root would get EFAULT/EINVAL.
      // A kernel built without modules answers ENOSYS (38) to everyone, the real root included.
      const mod = await inNode(session, node, INIT_MODULE);
      t.is(
        mod.out.trim(),
        outsideModule === '38' ? '38' : '1',
        `${node}: loading a module was not refused: errno ${mod.out}`,
      );
      // A container's /etc is its own overlay; the real /etc is checked untouched at the end.
      if (node === 'mycontainer')
        t.is((await inNode(session, node, `touch ${marker}`)).code, 0, 'its own /etc is writable');
      else await refused('write the real /etc', `touch ${marker}`, /Permission denied|Read-only file system/);
      await refused('signal a process outside', `kill -TERM ${victim.pid}`, /No such process|not permitted/i);
      // Hostname: every node starts named after itself, in a UTS namespace of its own (host's rename,
      // one turn of this loop earlier, does not reach wan), and may rename it, never the machine.
      t.is((await inNode(session, node, 'hostname')).out.trim(), node, `${node}: its own name`);
      const named = await inNode(
        session,
        node,
        `hostname lab-escape-${node} && hostname && readlink /proc/self/ns/uts /proc/self/ns/ipc`,
      );
      t.is(named.code, 0, `${node}: hostname in its own UTS namespace: ${named.out}`);
      const [, uts, ipc] = named.out.trim().split('\n');
      t.not(uts, realUts, `${node}: shares the real UTS namespace`);
      t.false(utsSeen.has(uts ?? ''), `${node}: shares another node's UTS namespace`);
      utsSeen.add(uts ?? '');
      t.not(ipc, realIpc, `${node}: shares the real IPC namespace`);
      // And the lab's own kind of steps still work there.
      const own = await inNode(
        session,
        node,
        'ip link add lab-esc0 type veth peer name lab-esc1 && ip link del lab-esc0 && sysctl -qw net.ipv4.ip_forward=0',
      );
      t.is(own.code, 0, `${node}: a lab step was refused: ${own.out}`);
    }
    // Plain nodes see the sandbox's own /run, /tmp, /etc/hosts and /etc/resolv.conf.
    const own = await inNode(session, 'host', 'grep -c . /etc/hosts; cat /etc/resolv.conf; ls /run; ls -A /tmp');
    t.regex(own.out, /nameserver 203\.0\.113\.8/, 'the sandbox resolv.conf');
    t.regex(own.out, /^netns$/m, 'the sandbox /run');
    const dev = await inNode(session, 'mycontainer', 'ls -A /dev | sort | tr "\\n" " "');
    t.is(dev.out.trim(), 'full null ptmx pts random shm tty urandom zero', 'a minimal /dev in the container');
  } finally {
    await session.close();
    const alive = victim.exitCode === null && victim.signalCode === null;
    victim.kill('SIGKILL');
    t.true(alive, 'the outside process was signalled');
  }
  t.is(hostname(), realName, 'the real hostname is unchanged');
  t.is(readFileSync('/proc/sys/kernel/panic', 'utf8'), panic, 'kernel.panic is unchanged');
  const wrote = existsSync(marker);
  if (wrote) rmSync(marker);
  t.false(wrote, 'nothing was written to the real /etc');
});
