// The keeper: one process tree that owns every namespace of a run, so its death removes them all.
import type { ChildProcess } from 'node:child_process';
import { readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { EnvironmentError, InternalError } from '../errors.js';
import { startProcess } from '../sys/exec.js';
import { systemTool } from '../sys/tools.js';
import { idBase, idMap, VIEW_DIR, viewArgv } from './userns.js';

// PID 1 of the sandbox, root of its own user namespace (an unprivileged id range outside), in a mount
// namespace copied from the view's (userns.ts) (the real filesystem read-only, flags locked): a private /run (so `ip
// netns` names never reach the real /run/netns), its own /proc (so lsns and ps inside show the sandbox
// only) and /sys (so no command in the sandbox can reach the real machine's devices through
// /sys/class/net), its own /tmp, /var/tmp and /dev/shm (every tmpfs capped at $3 MiB: nothing written
// there reaches the disk or outlives the sandbox), /etc/hosts and /etc/resolv.conf, and its own
// hostname. The product's tools, node and the containers' root view are opened first (VIEW_DIR, under
// the /run its own hides) and bound in from those descriptors: the view at the cached root's path ($4,
// where the overlays name it), the tools and node in /run/lab. Then it waits on stdin; EOF (the
// runner died) ends it, "keep" turns it into a long sleep.
const KEEPER_SCRIPT = [
  `exec 3<${VIEW_DIR.tools} 4<${VIEW_DIR.node} || exit 1`,
  `if [ -n "$4" ]; then exec 5<${VIEW_DIR.root} || exit 1; fi`,
  'mount -t tmpfs -o mode=755,size="$3"m lab-run /run || exit 1',
  'mkdir -p /run/netns /run/lab-etc /run/lab/tools || exit 1',
  'printf \'{"type":"module"}\\n\' > /run/lab/package.json && : > /run/lab/node || exit 1',
  "printf '127.0.0.1\\tlocalhost\\n::1\\tlocalhost ip6-localhost\\n' > /run/lab-etc/hosts || exit 1",
  "printf 'nameserver 203.0.113.8\\n' > /run/lab-etc/resolv.conf || exit 1",
  // The other mounts in one `mount -a` of a table of its own (one process, not a dozen). Sources are
  // named lab-*: `mount -a` skips an entry whose source and target are mounted already (the real /proc).
  "printf '/proc/self/fd/3 /run/lab/tools none bind 0 0\\n/proc/self/fd/4 /run/lab/node none bind 0 0\\nlab-proc /proc proc defaults 0 0\\nlab-sys /sys sysfs defaults 0 0\\n' > /run/lab-etc/fstab || exit 1",
  'for d in /tmp /var/tmp /dev/shm; do [ -d $d ] && echo "lab-tmp$d $d tmpfs mode=1777,nosuid,nodev,size=$3m 0 0"; done >> /run/lab-etc/fstab',
  // /etc/resolv.conf may be a link into the real /run, which the tmpfs above hides: mount on its target.
  'for f in hosts resolv.conf; do t=/etc/$f; if [ -L "$t" ]; then t=$(readlink -f "$t"); mkdir -p "${t%/*}" || exit 1; fi; [ -e "$t" ] || : > "$t" || exit 1; echo "/run/lab-etc/$f $t none bind 0 0" >> /run/lab-etc/fstab; done',
  'mount -a -T /run/lab-etc/fstab || exit 1',
  'if [ -n "$4" ]; then mkdir -p "$4" && mount --bind /proc/self/fd/5 "$4" || exit 1; fi',
  'exec 3<&- 4<&- 5<&-',
  'hostname lab-sandbox || exit 1',
  // The nodes' network namespaces ($2), so that what runs in them can start with the keeper.
  'for n in $2; do echo "netns add $n"; done | ip -batch - || exit 1',
  'echo ready',
  'read cmd',
  '[ "$cmd" = keep ] && exec sleep infinity',
  'exit 0',
].join('\n');

// What the keeper's mount namespace holds besides the sandbox's own tmpfs: its size cap, the product's
// node tools and the node binary (bound read-only), and the containers' cached root when there are any.
export interface KeeperFs {
  diskMb: number; // size cap of each tmpfs
  toolsDir: string;
  nodeBin: string;
  rootfs?: string;
}

export const KEEPER_MARK = 'lab-keeper';
const READY_TIMEOUT_MS = 5_000;

export interface KeeperInfo {
  outerPid: number; // the unshare process, in the real PID namespace
  initPid: number; // PID 1 of the sandbox, as seen from the real namespace
  idBase: number; // the real uid and gid of the sandbox's root (its range is ID_COUNT long)
}

export class Keeper {
  readonly runId: string;
  private proc: ChildProcess | undefined;
  private info: KeeperInfo | undefined;
  private exited: Promise<void> | undefined;
  private stopping = false;
  private lost = false; // it exited while the run still needed it

  // `netns`: the nodes' network namespaces it makes; `fs`: what its mount namespace holds (see KeeperFs);
  // `join`: the argv prefix that puts it in the sandbox's cgroup before anything of it runs.
  constructor(
    runId: string,
    private readonly netns: string[],
    private readonly fs: KeeperFs,
    private readonly join: string[] = [],
  ) {
    this.runId = runId;
  }

  // The keeper of a sandbox another process started (a kept one): known by its journalled pids only,
  // never stopped or kept from here; `died` reads whether its PID 1 still has its namespaces.
  static adopt(runId: string, info: KeeperInfo): Keeper {
    const k = new Keeper(runId, [], { diskMb: 0, toolsDir: '', nodeBin: '' });
    k.info = info;
    return k;
  }

  // Starts the keeper in a new user namespace and resolves once its private /run is mounted.
  async start(): Promise<KeeperInfo> {
    const base = idBase();
    const holder = await userNamespace(base);
    try {
      return await this.startIn(`/proc/${holder.pid}/ns/user`, base);
    } finally {
      holder.kill('SIGKILL'); // the namespace lives on in the keeper
    }
  }

  private async startIn(userns: string, idBase: number): Promise<KeeperInfo> {
    // nsenter --user makes it uid 0 of that namespace before unshare runs, so every namespace below is owned by it.
    // The view first (the real root: keyring, read-only view), then the keeper in the sandbox's namespaces.
    const { diskMb, toolsDir, nodeBin, rootfs } = this.fs;
    const view = viewArgv(systemTool('perl'), userns, rootfs, toolsDir, nodeBin);
    const argv = [
      ...this.join,
      ...view,
      'nsenter',
      `--user=${userns}`,
      'unshare',
      '--net',
      '--pid',
      '--fork',
      '--kill-child',
      '--mount',
      '--uts',
      '--ipc',
      '--propagation',
      'private',
      'sh',
      '-c',
      KEEPER_SCRIPT,
      KEEPER_MARK,
      this.runId,
      this.netns.join(' '),
      String(diskMb),
      rootfs ?? '',
    ];
    const proc = startProcess({ argv, detached: true });
    this.proc = proc;
    this.exited = new Promise((resolve) => proc.once('exit', () => resolve()));
    proc.once('exit', () => (this.lost = !this.stopping));
    proc.stdin?.on('error', () => undefined);
    await firstOutput(proc, 'sandbox keeper', 'nsenter');
    const outerPid = proc.pid;
    if (!outerPid) throw new InternalError('sandbox keeper has no pid');
    this.info = { outerPid, initPid: childOf(outerPid), idBase };
    return this.info;
  }

  // The pids, once started (undefined before or if it never started).
  get started(): KeeperInfo | undefined {
    return this.info;
  }

  get pids(): KeeperInfo {
    if (!this.info) throw new InternalError('sandbox keeper is not running');
    return this.info;
  }

  // True once the keeper died without being stopped: nothing can run in the sandbox any more.
  get died(): boolean {
    if (this.lost) return true;
    // Its exit may not have been told yet: whether PID 1 of the sandbox still has its namespaces says it
    // now (a killed PID 1 that is not reaped yet is a zombie, which signal 0 would still find).
    if (this.stopping || !this.info) return false;
    try {
      readlinkSync(`/proc/${this.info.initPid}/ns/mnt`); // gone as soon as it exits, before it is reaped
      return false;
    } catch {
      return true;
    }
  }

  // Leaves the sandbox running after the runner exits (--keep).
  keep(): void {
    this.proc?.stdin?.end('keep\n');
    this.proc?.stdout?.destroy();
    this.proc?.stderr?.destroy();
    this.proc?.unref();
  }

  // Kills the whole sandbox and waits until its init is gone; safe to call twice.
  async stop(): Promise<void> {
    if (!this.proc) return;
    this.stopping = true;
    // Kill PID 1 and let unshare reap it, so no zombie outlives the run; unshare itself only as a fallback.
    if (this.info) killQuietly(this.info.initPid);
    else killQuietly(this.proc.pid);
    const outer = this.proc.pid;
    const fallback = setTimeout(() => killQuietly(outer), 2_000);
    await this.exited;
    clearTimeout(fallback);
    this.proc = undefined;
  }
}

// A new user namespace held by a waiting shell, its ids mapped to base..base+65535 (written from
// outside, as the real root: no newuidmap or /etc/subuid needed).
async function userNamespace(base: number): Promise<ChildProcess> {
  const holder = startProcess({ argv: ['unshare', '--user', 'sh', '-c', 'echo userns; read x'] });
  holder.stdin?.on('error', () => undefined);
  try {
    await firstOutput(holder, 'user namespace', 'unshare');
    writeFileSync(`/proc/${holder.pid}/uid_map`, idMap(base));
    writeFileSync(`/proc/${holder.pid}/gid_map`, idMap(base));
  } catch (err) {
    holder.kill('SIGKILL');
    if (err instanceof Error && 'code' in err && typeof err.code === 'string' && err.code.startsWith('E')) {
      throw new EnvironmentError(
        'NO_USERNS',
        `cannot map ids of the sandbox's user namespace: ${err.message}`,
        'user namespaces must be enabled: sysctl user.max_user_namespaces (> 0)',
      );
    }
    throw err;
  }
  return holder;
}

// Resolves at a child's first output (its ready line); rejects, in words the user can act on, if it
// cannot start, exits first, or says nothing within the bound.
function firstOutput(child: ChildProcess, what: string, tool: string): Promise<void> {
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new InternalError(`${what} not ready after ${READY_TIMEOUT_MS} ms`)),
      READY_TIMEOUT_MS,
    );
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new EnvironmentError('TOOL_MISSING', `cannot start ${tool}: ${err.message}`, 'install util-linux'));
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(keeperFailure(code, stderr));
    });
    child.stdout?.once('data', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

// Why the keeper could not start, in words the user can act on.
function keeperFailure(code: number | null, stderr: string): Error {
  const msg = stderr.trim();
  if (/Operation not permitted|Permission denied/.test(msg)) {
    return new EnvironmentError(
      'NO_PRIVILEGE',
      `cannot create namespaces: ${msg}`,
      'run as root, e.g. `sudo ./lab run LAB`',
    );
  }
  return new EnvironmentError(
    'SANDBOX_FAILED',
    `sandbox keeper exited with ${code}: ${msg || 'no message'}`,
    'check that unshare (util-linux) works: `unshare --net --pid --fork --mount true`',
  );
}

// The first child of a process (the sandbox's PID 1 under unshare --fork).
export function childOf(pid: number): number {
  const raw = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  const child = Number(raw.split(/\s+/)[0]);
  if (!Number.isInteger(child) || child <= 0) throw new InternalError(`sandbox keeper ${pid} has no child`);
  return child;
}

// SIGKILL that ignores a process that is already gone.
export function killQuietly(pid: number | undefined): void {
  if (!pid) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}
