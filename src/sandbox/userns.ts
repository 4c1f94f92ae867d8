// The sandbox's user namespace: its root maps to an unprivileged id range of the real machine, so a
// process in it is root for the sandbox's own namespaces and nobody for the real machine's.
import { randomInt } from 'node:crypto';

export const ID_COUNT = 65_536; // a whole range, so the runbook's gid=5 (tty) and daemons' ids exist

// A per-run base, far above the ids distributions hand out (/etc/subuid starts at 100000), so two
// sandboxes never share an id and no real user owns one.
export function idBase(): number {
  return ID_COUNT * randomInt(1_024, 60_000);
}

// Contents of /proc/PID/uid_map and gid_map: inside 0..65535 -> outside base..base+65535.
export function idMap(base: number): string {
  return `0 ${base} ${ID_COUNT}\n`;
}

// Gives a directory tree owned by the real root an idmapped view owned by the sandbox's root, mounted
// at DST in the keeper's mount namespace (open_tree and mount_setattr(MOUNT_ATTR_IDMAP) here, setns,
// move_mount there; util-linux 2.38 has no tool for it; the keeper made DST). Run as the real root:
// python3 -c IDMAP_PY SRC DST, the keeper's pid on stdin (it may start before the keeper is up).
export const IDMAP_PY = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
class Attr(ctypes.Structure):
    _fields_ = [('set', ctypes.c_uint64), ('clr', ctypes.c_uint64), ('prop', ctypes.c_uint64), ('userns', ctypes.c_uint64)]
def ok(r, what):
    if r < 0:
        sys.exit(what + ': ' + os.strerror(ctypes.get_errno()))
    return r
src, dst = sys.argv[1:3]
pid = sys.stdin.readline().strip()
if not pid:
    sys.exit('no keeper pid on stdin')
fd = ok(libc.syscall(428, -100, src.encode(), 1 | 0o2000000), 'open_tree ' + src)
a = Attr(0x100000, 0, 0, os.open('/proc/%s/ns/user' % pid, os.O_RDONLY))
ok(libc.syscall(442, fd, b'', 0x1000, ctypes.byref(a), ctypes.sizeof(a)), 'idmap ' + src)
ok(libc.setns(os.open('/proc/%s/ns/mnt' % pid, os.O_RDONLY), 0x20000), 'setns mnt')
ok(libc.syscall(429, fd, b'', -100, dst.encode(), 4), 'move_mount ' + dst)
`;
