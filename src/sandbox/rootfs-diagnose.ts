// Why a root filesystem build failed, read from the tail of its output: the cause, not always "the mirror".

export interface BuildFailure {
  exit: number | string | undefined; // debootstrap's (or unshare's) exit code, or the signal that ended it
  output: string[]; // the last lines it printed
  log?: string; // the tail of debootstrap.log in the target, when there was one
  mirror: string;
}

export interface Diagnosis {
  cause: string; // a short name, for tests and JSON
  message: string; // one line: what failed and why
  hint: string; // one line: what to run
}

const RETRY = 'then run `lab rootfs build`';

interface Rule {
  cause: string;
  match: RegExp;
  why: (line: string, f: BuildFailure) => string;
  hint: (f: BuildFailure) => string;
}

// Most specific first: the first rule whose pattern matches a line names the cause.
const RULES: Rule[] = [
  {
    cause: 'root-not-mount-point',
    match: /cannot change root filesystem propagation|propagation.*Invalid argument/,
    why: () => '/ is not a mount point here (a chroot?), so unshare cannot make mounts private',
    hint: () =>
      `run lab on a real root, or in a root entered with pivot_root, or bind-mount the root onto itself (mount --bind DIR DIR) before entering it; ${RETRY}`,
  },
  {
    cause: 'no-privilege',
    match:
      /unshare failed: Operation not permitted|cannot (?:mount|unshare).*(?:Operation not permitted|Permission denied)|must be run as root|permission denied.*mount/i,
    why: () => 'no privilege to create namespaces or mount',
    hint: () => `run it as root (sudo), outside a restricted container; ${RETRY}`,
  },
  {
    cause: 'no-space',
    match: /No space left on device/,
    why: () => 'no space left on the device',
    hint: () => `free space where the cache lives (df -h; LAB_ROOTFS_CACHE picks another place); ${RETRY}`,
  },
  {
    cause: 'unknown-suite',
    match: /No such script:/,
    why: (line) => `this debootstrap does not know the suite (${line.replace(/^E:\s*/, '')})`,
    hint: () => `upgrade debootstrap (apt-get install -y debootstrap); ${RETRY}`,
  },
  {
    cause: 'keyring',
    match: /Release signed by unknown key|Invalid Release signature|NO_PUBKEY|[Kk]eyring .* not found|gpgv.*not found/,
    why: () => 'the Release file of the mirror cannot be verified (the Debian archive keyring is missing or old)',
    hint: () => `apt-get install -y debian-archive-keyring; ${RETRY}`,
  },
  {
    cause: 'mirror-unreachable',
    match:
      /Failed getting release file|Temporary failure resolving|Could not resolve|Connection refused|Network is unreachable|Connection timed out|No route to host|Unable to connect|Failed getting release signature/,
    why: (_line, f) => `the Debian mirror ${f.mirror} cannot be reached`,
    hint: (f) => `check that ${f.mirror} is reachable (LAB_DEBIAN_MIRROR picks another mirror); ${RETRY}`,
  },
  {
    cause: 'download-failed',
    match: /Couldn't download packages|Couldn't download|Failed to download|Hash Sum mismatch|Checksum mismatch/i,
    why: (_line, f) =>
      `packages could not be downloaded from ${f.mirror} (a missing or inconsistent file on the mirror)`,
    hint: (f) => `try again, or another mirror (LAB_DEBIAN_MIRROR; now ${f.mirror}); ${RETRY}`,
  },
  {
    cause: 'package-failed',
    match: /Failure trying to run: |dpkg: error processing|Subprocess .* returned an error/,
    why: (line) => `a package failed to install in the new root (${line.replace(/^[WE]:\s*/, '').slice(0, 160)})`,
    hint: () => `read the debootstrap output above (the package named there); ${RETRY}`,
  },
  {
    cause: 'mount-failed',
    match: /mount: .*(failed|denied|not permitted)|cannot mount/i,
    why: (line) => `a mount in the new root failed (${line.trim().slice(0, 160)})`,
    hint: () => `run it as root in a mount namespace where / is a mount point; ${RETRY}`,
  },
];

// The cause of a failed build, one line each for what and what to do. Pure: the caller reads the output.
export function diagnoseRootfsFailure(f: BuildFailure): Diagnosis {
  const lines = [...f.output, ...(f.log ?? '').split('\n')].map((l) => l.trim()).filter(Boolean);
  const ended = typeof f.exit === 'string' ? `was ended by ${f.exit}` : `exited with ${f.exit ?? 'no code'}`;
  for (const rule of RULES) {
    const line = lines.find((l) => rule.match.test(l));
    if (line)
      return { cause: rule.cause, message: `root filesystem build failed: ${rule.why(line, f)}`, hint: rule.hint(f) };
  }
  if (typeof f.exit === 'string')
    return {
      cause: 'killed',
      message: `root filesystem build failed: debootstrap ${ended}`,
      hint: `nothing was cached; ${RETRY}`,
    };
  const last = [...lines].reverse().find((l) => /^E: /.test(l)) ?? lines.at(-1) ?? 'no output';
  return {
    cause: 'unknown',
    message: `root filesystem build failed: debootstrap ${ended}: ${last.slice(0, 200)}`,
    hint: `read the debootstrap output above; ${RETRY}`,
  };
}
