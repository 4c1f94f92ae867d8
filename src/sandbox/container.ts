// A container the runbook's way: its own PID, mount, UTS, IPC and cgroup namespaces, joined to a
// network namespace made by `ip netns add`, chrooted into its own overlay of the cached root.

export const CONTAINER_DIR = '/run/containers'; // inside the keeper's private /run

// Paths of a container's overlay, all on the keeper's tmpfs (gone with the sandbox).
export function containerRoot(name: string): string {
  return `${CONTAINER_DIR}/${name}/root`;
}

// Shell lines, run in the keeper, that give the container a copy-on-write view of the cached root.
export function overlayScript(name: string, lower: string): string {
  const d = `${CONTAINER_DIR}/${name}`;
  return [
    'set -e',
    `mkdir -p ${d}/upper ${d}/work ${d}/root`,
    `mount -t overlay overlay -o lowerdir=${lower},upperdir=${d}/upper,workdir=${d}/work ${d}/root`,
  ].join('\n');
}

// The runbook's unshare line, joining the namespace with nsenter (unshare --net=FILE would make a new one).
export function unshareArgv(name: string): string[] {
  return ['nsenter', `--net=/run/netns/${name}`, 'unshare', '--fork', '--pid', '--mount', '--uts', '--cgroup', '--ipc', `--root=${containerRoot(name)}`, '--wd=/'];
}

// What the container's PID 1 runs: with `setup`, the runbook's mounts and hostname first.
export function initScript(hostname: string, setup: boolean): string {
  const mounts = [
    'mount -t proc proc /proc',
    'mount -t sysfs sys /sys',
    'mount -t devtmpfs dev /dev',
    'mount -t devpts devpts /dev/pts -o gid=5,mode=620',
    `hostname ${hostname}`,
  ];
  // PID 1 stays a shell, as in the runbook; it idles until the sandbox is torn down.
  return [...(setup ? mounts.map((m) => `${m} || exit 1`) : []), 'echo ready', 'while :; do sleep 86400; done'].join('\n');
}

// argv prefix that runs a program inside a running container (all its namespaces and its root).
export function enterArgv(initPid: number): string[] {
  return ['nsenter', '-t', String(initPid), '-m', '-u', '-i', '-n', '-p', '-C', '-r', '-w'];
}

// The environment a login shell in the container would have, not the runner's.
export const CONTAINER_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  HOME: '/root',
  LANG: 'C.UTF-8',
};
