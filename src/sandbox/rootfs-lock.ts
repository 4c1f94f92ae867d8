// One root filesystem builder per recipe at a time: flock(1) on a file in the cache. The kernel drops
// the lock when its holder dies (even by SIGKILL), so there is never a stale lock to take over.
import type { ChildProcess } from 'node:child_process';
import { startProcess } from '../sys/exec.js';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { EnvironmentError } from '../errors.js';
import { requireTools } from '../sys/tools.js';
import { aliveSince, currentOwner } from './proc-info.js';

export interface LockOwner {
  pid: number;
  uid: number;
  user: string;
  command: string;
  since: string; // ISO time the lock was taken
}

// Takes the build lock for a recipe hash, telling `onWait` who holds it and since when; bounded by `timeoutMs`.
export async function takeBuildLock(
  cache: string,
  hash: string,
  opts: { timeoutMs: number; onWait?: (line: string) => void },
): Promise<() => Promise<void>> {
  requireTools(['flock', 'setpriv']);
  const file = join(cache, `.build-${hash}.lock`);
  const ownerFile = join(cache, `.build-${hash}.owner`);
  let holder = await flock(file, 0);
  if (!holder) {
    const owner = readOwner(ownerFile);
    opts.onWait?.(`waiting for ${describeOwner(owner, file)}`);
    holder = await flock(file, opts.timeoutMs);
    if (!holder)
      throw new EnvironmentError(
        'ROOTFS_LOCKED',
        `${describeOwner(readOwner(ownerFile) ?? owner, file)} did not finish within ${Math.round(opts.timeoutMs / 1000)} s`,
        'wait for it, or stop that process, then run `lab rootfs build`',
      );
  }
  const me = currentOwner();
  const record: LockOwner = {
    pid: process.pid,
    uid: me.uid,
    user: me.user,
    command: commandLine(),
    since: new Date().toISOString(),
  };
  writeFileSync(ownerFile, `${JSON.stringify(record)}\n`);
  const held = holder;
  return async () => {
    rmSync(ownerFile, { force: true });
    await release(held);
  };
}

// This process's command as a person typed it: `lab rootfs build --force`, or its argv when not the CLI.
function commandLine(): string {
  const [node = 'node', script = '', ...args] = process.argv;
  return script.endsWith('cli/main.js')
    ? ['lab', ...args].join(' ')
    : [basename(node), script, ...args].join(' ').trim();
}

// Who holds the lock, as recorded by the holder; undefined when no record (or a record of a dead process).
export function readOwner(ownerFile: string): LockOwner | undefined {
  try {
    const o = JSON.parse(readFileSync(ownerFile, 'utf8')) as LockOwner;
    return aliveSince(o.pid, Date.parse(o.since)) ? o : undefined;
  } catch {
    return undefined;
  }
}

// "the root filesystem build of root (uid 0, pid 123, `lab rootfs build --force`), running since 12:01:02 (40 s)".
export function describeOwner(o: LockOwner | undefined, file: string, now = Date.now()): string {
  if (!o) return `another root filesystem build (it holds ${file}; it left no record of who it is)`;
  const since = new Date(o.since);
  return `the root filesystem build of ${o.user} (uid ${o.uid}, pid ${o.pid}, \`${o.command}\`), running since ${since.toISOString().slice(11, 19)} UTC (${Math.round((now - since.getTime()) / 1000)} s)`;
}

// Runs `flock` on the file; resolves with the process holding the lock, or undefined if not had in `waitMs`.
function flock(file: string, waitMs: number): Promise<ChildProcess | undefined> {
  const wait = waitMs > 0 ? ['--timeout', (waitMs / 1000).toFixed(3)] : ['--nonblock'];
  // The lock lives as long as `cat` reads our stdin: our exit (any way) ends it; pdeathsig backs that up.
  const child = startProcess({
    argv: [
      'setpriv',
      '--pdeathsig',
      'KILL',
      'flock',
      '--exclusive',
      ...wait,
      file,
      'sh',
      '-c',
      'echo locked; exec cat >/dev/null',
    ],
  });
  child.stdin?.on('error', () => undefined);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    const guard = setTimeout(() => child.kill('SIGKILL'), waitMs + 10_000); // flock bounds itself; this only backs it up
    child.stdout?.once('data', () => {
      clearTimeout(guard);
      resolve(child);
    });
    child.once('error', (err) => {
      clearTimeout(guard);
      reject(new EnvironmentError('TOOL_MISSING', `cannot run flock: ${err.message}`, 'apt-get install -y util-linux'));
    });
    child.once('exit', (code) => {
      clearTimeout(guard);
      if (code === 1 && !stderr.trim())
        resolve(undefined); // held by someone else (flock's "conflict" exit)
      else
        reject(
          new EnvironmentError(
            'ROOTFS_LOCK_FAILED',
            `cannot lock ${file}: flock exited with ${code}: ${stderr.trim()}`,
            'check that the cache folder is writable (run as root)',
          ),
        );
    });
  });
}

// Ends the holder (closing its stdin) and waits, bounded, until the lock is really dropped.
async function release(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.stdin?.end();
  const guard = setTimeout(() => child.kill('SIGKILL'), 2_000);
  await exited;
  clearTimeout(guard);
}
