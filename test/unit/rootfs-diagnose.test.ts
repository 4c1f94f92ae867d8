// A failed root filesystem build names its real cause; only a mirror problem blames the mirror.
import test from 'ava';
import { diagnoseRootfsFailure, type BuildFailure } from '../../src/sandbox/rootfs-diagnose.js';

const mirror = 'http://deb.debian.org/debian';
const fail = (output: string[], extra: Partial<BuildFailure> = {}): BuildFailure => ({
  exit: 1,
  output,
  mirror,
  ...extra,
});

test('unshare in a chroot (root not a mount point) is not blamed on the mirror', (t) => {
  const d = diagnoseRootfsFailure(fail(['unshare: cannot change root filesystem propagation: Invalid argument']));
  t.is(d.cause, 'root-not-mount-point');
  t.regex(d.message, /\/ is not a mount point/);
  t.regex(d.hint, /pivot_root|mount --bind/);
  t.notRegex(`${d.message} ${d.hint}`, /reachable|deb\.debian\.org/);
});

test('an unreachable mirror names the mirror and LAB_DEBIAN_MIRROR', (t) => {
  const d = diagnoseRootfsFailure(
    fail([
      'I: Retrieving InRelease ',
      'W: Failure trying to run: wget ...',
      `E: Failed getting release file ${mirror}/dists/bookworm/Release`,
    ]),
  );
  t.is(d.cause, 'mirror-unreachable');
  t.regex(d.message, /deb\.debian\.org\/debian cannot be reached/);
  t.regex(d.hint, /LAB_DEBIAN_MIRROR/);
});

test('each known cause, from output or from debootstrap.log', (t) => {
  const cases: [string[], string, string?][] = [
    [['unshare: unshare failed: Operation not permitted'], 'no-privilege'],
    [['E: No such script: /usr/share/debootstrap/scripts/trixie'], 'unknown-suite'],
    [['E: Release signed by unknown key (key id 6ED0E7B82643E131)'], 'keyring'],
    [["E: Couldn't download packages: libc6"], 'download-failed'],
    [
      [
        'W: Failure trying to run: chroot "/x/root" dpkg --force-depends --install /var/cache/apt/archives/base-files.deb',
      ],
      'package-failed',
    ],
    [['tar: ./usr/bin/x: Cannot write: No space left on device'], 'no-space'],
    [['W: Failure trying to run: chroot ... mount -t proc proc /proc'], 'package-failed'],
    [['W: see the log'], 'no-space', 'dpkg: error: No space left on device'],
  ];
  for (const [output, cause, log] of cases) {
    const d = diagnoseRootfsFailure(fail(output, log ? { log } : {}));
    t.is(d.cause, cause, output.join(' | '));
    t.false(d.message.includes('\n'), 'one line');
    t.false(d.hint.includes('\n'), 'one line');
    t.regex(d.hint, /lab rootfs build|apt-get install/);
    if (cause !== 'download-failed') t.notRegex(d.hint, /reachable/, cause);
  }
});

test('killed by a signal, or an unknown failure: says so, with the last error line, without blaming the mirror', (t) => {
  const k = diagnoseRootfsFailure(fail(['I: Retrieving Packages'], { exit: 'SIGKILL' }));
  t.is(k.cause, 'killed');
  t.regex(k.message, /ended by SIGKILL/);
  const u = diagnoseRootfsFailure(
    fail(['I: Validating foo', 'E: something nobody expected', 'trailing noise'], { exit: 2 }),
  );
  t.is(u.cause, 'unknown');
  t.regex(u.message, /exited with 2: E: something nobody expected/);
  t.notRegex(u.hint, /reachable/);
  t.is(diagnoseRootfsFailure(fail([])).message, 'root filesystem build failed: debootstrap exited with 1: no output');
});
