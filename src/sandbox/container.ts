// A container the runbook's way: its own PID, mount, UTS, IPC and cgroup namespaces, joined to a
// network namespace made by `ip netns add`, in its own overlay of the cached root entered with
// pivot_root, the old root detached (a chroot is escaped by its own root with a second chroot). It
// lives in the sandbox's user namespace (root inside, an unprivileged id outside), and gets a minimal /dev.

export const CONTAINER_DIR = '/run/containers'; // inside the keeper's private /run

// Paths of a container's overlay, all on the keeper's tmpfs (gone with the sandbox).
export function containerRoot(name: string): string {
  return `${CONTAINER_DIR}/${name}/root`;
}

// The device nodes a container gets, as real runtimes give them: no disk, no memory, no module.
export const MINIMAL_DEV = ['null', 'zero', 'full', 'random', 'urandom', 'tty'] as const;

// Shell lines, run in the keeper's user namespace, that give the container a copy-on-write view of the
// cached root, its writable layer on a tmpfs of its own capped at $3 MiB (a write beyond it fails with
// ENOSPC, not with the machine's memory), and a minimal /dev: a tmpfs with the harmless nodes bound
// in, pts, ptmx and shm. Names arrive as $1 (container) and $2 (lower directory), never pasted into the script.
export const OVERLAY_SCRIPT = [
  'set -e',
  `d=${CONTAINER_DIR}/$1`,
  'mkdir -p "$d"',
  'mount -t tmpfs -o mode=700,size="$3"m lab-layer "$d"',
  'mkdir -p "$d/upper" "$d/work" "$d/root"',
  'mount -t overlay overlay -o "lowerdir=$2,upperdir=$d/upper,workdir=$d/work" "$d/root"',
  'dev="$d/root/dev"',
  'mount -t tmpfs -o mode=755,nosuid,size=64k lab-dev "$dev"',
  'mkdir -p "$dev/pts" "$dev/shm"',
  'ln -s pts/ptmx "$dev/ptmx"',
  // The device binds and shm in one `mount -a` of a table of its own: one process, not seven.
  `for n in ${MINIMAL_DEV.join(' ')}; do : > "$dev/$n"; printf '/dev/%s %s none bind 0 0\n' "$n" "$dev/$n"; done > "$d/fstab"`,
  `printf 'lab-shm %s tmpfs mode=1777,nosuid,nodev,size=16m 0 0\n' "$dev/shm" >> "$d/fstab"`,
  'mount -a -T "$d/fstab"',
].join('\n');

// argv (after a keeper prefix) that prepares a container's root, its writable layer capped at
// `layerMb` MiB; see OVERLAY_SCRIPT.
export function overlayArgv(name: string, lower: string, layerMb: number): string[] {
  return ['sh', '-c', OVERLAY_SCRIPT, 'overlay', name, lower, String(layerMb)];
}

// What the container's PID 1 runs ($1 the hostname, $2 the root, never pasted into the script). It
// mounts the container's /proc and /sys while a whole proc and sysfs are still in view (the kernel
// lets a user namespace mount them only then), pivots into the root and detaches the old one, so
// nothing of the keeper's mounts stays reachable. With `setup`, the runbook's devpts and hostname too
// (but no devtmpfs: the kernel refuses it in a user namespace, and the minimal /dev is already there);
// without, the lab's own steps do them (their /proc and /sys mounts stack on these).
export function initScript(setup: boolean): string {
  // Without `setup`, a proc hidden under an empty read-only tmpfs (the container's /proc is empty until
  // the lab mounts one) and the keeper's own sysfs (another network namespace's: a second mount of the
  // same sysfs on the same place is refused), so the lab's `mount -t proc proc /proc` and `mount -t
  // sysfs sys /sys` each mount one of their own and each is still what makes its check pass.
  const mounts = setup
    ? [
        'mount -t proc proc proc',
        'mount -t sysfs sys sys',
        'mount -t devpts devpts dev/pts -o gid=5,mode=620,ptmxmode=0666',
      ]
    : ['mount -t proc lab-proc proc', 'mount --bind /sys sys'];
  const after = setup ? ['hostname "$1"'] : ['mount -t tmpfs -o ro,size=4k lab-noproc /proc']; // umount reads /proc first
  const enter = ['cd "$2"', ...mounts, 'pivot_root . .', 'umount -l .', 'cd /', ...after];
  // PID 1 stays a shell, as in the runbook; it idles until the sandbox is torn down.
  return [...enter.map((m) => `${m} || exit 1`), 'echo ready', 'while :; do sleep 86400; done'].join('\n');
}

// The environment a login shell in the container would have, not the runner's.
export const CONTAINER_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
};
