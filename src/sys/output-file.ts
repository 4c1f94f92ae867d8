// Files the user names for output (reports, pcaps): reached one folder at a time without following a link
// that another user planted in a shared folder such as /tmp, and never truncating a file of another user.
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  readlinkSync,
  type Stats,
  writeSync,
} from 'node:fs';
import { resolve } from 'node:path';
import { EnvironmentError } from '../errors.js';

const MAX_LINKS = 40; // as the kernel's own limit on links followed in one lookup

// A refusal or a failed write, naming the file: the machine's problem (exit 3), never "a bug".
export class OutputFileError extends EnvironmentError {
  readonly path: string;
  constructor(path: string, why: string, hint: string) {
    super('OUTPUT_FILE', `cannot write ${path}: ${why}`, hint);
    this.path = path;
  }
}

// The owners whose links and files count as the caller's own: the effective user, and the one behind sudo.
function ownUids(): Set<number> {
  const own = new Set([process.geteuid?.() ?? 0]);
  const sudo = Number(process.env.SUDO_UID);
  if (process.geteuid?.() === 0 && process.env.SUDO_UID && Number.isInteger(sudo)) own.add(sudo);
  return own;
}

// A folder anyone may write to (with or without the sticky bit): its entries may be anyone's.
const shared = (dir: Stats): boolean => (dir.mode & 0o002) !== 0;

// The kernel's protected_symlinks rule, whatever the sysctl says: in a shared folder, follow only a link
// that the caller or the folder's owner made.
function mayFollow(link: Stats, dir: Stats): boolean {
  return !shared(dir) || ownUids().has(link.uid) || link.uid === dir.uid;
}

// Errno words a person reads.
function why(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const words: Record<string, string> = {
    ENOSPC: 'no space left on its device',
    EDQUOT: 'disk quota exceeded',
    EIO: 'input/output error',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOENT: 'a folder on its way does not exist',
    ENOTDIR: 'a part of its path is not a folder',
    EISDIR: 'it is a folder',
    ELOOP: 'too many symbolic links, or a link appeared while it was opened',
    ENXIO: 'nothing reads that fifo or device',
  };
  return `${(e.code && words[e.code]) ?? e.message}${e.code ? ` (${e.code})` : ''}`;
}

const fail = (path: string, err: unknown): OutputFileError =>
  err instanceof OutputFileError
    ? err
    : new OutputFileError(path, why(err), 'free some space there or name another file, then run again');

const refuse = (path: string, what: string): OutputFileError =>
  new OutputFileError(path, what, 'remove it, or name a file in a folder of your own');

// "alice (uid 1001)": whom a refused link or file belongs to.
function userOf(uid: number): string {
  try {
    const name = readFileSync('/etc/passwd', 'utf8')
      .split('\n')
      .find((l) => l.split(':')[2] === String(uid))
      ?.split(':')[0];
    return name ? `${name} (uid ${uid})` : `uid ${uid}`;
  } catch {
    return `uid ${uid}`;
  }
}

interface Parent {
  fd: number; // the folder that holds the last name, opened without following links
  stat: Stats;
  dir: string; // its path, as walked
  name: string;
}

// Walks to the folder that holds `path`'s last name, following only links mayFollow allows; `make` creates
// missing folders. The returned fd is the caller's to close.
function walk(shown: string, path: string, make: boolean, hops = 0): Parent {
  const parts = resolve(path).split('/').filter(Boolean);
  const name = parts.pop() ?? '.';
  let fd = openSync('/', constants.O_RDONLY | constants.O_DIRECTORY);
  let dir = '/';
  try {
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i] ?? '';
      const via = `/proc/self/fd/${fd}/${part}`;
      let st: Stats;
      try {
        st = lstatSync(via);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || !make) throw err;
        mkdirSync(via, 0o755);
        st = lstatSync(via);
      }
      if (st.isSymbolicLink()) {
        const parent = fstatSync(fd);
        if (!mayFollow(st, parent))
          throw refuse(
            shown,
            `${resolve(dir, part)} is a symbolic link that ${userOf(st.uid)} made in the shared folder ${dir}; it is not followed`,
          );
        if (hops >= MAX_LINKS) throw refuse(shown, 'too many symbolic links on its way');
        const next = resolve(dir, readlinkSync(via), ...parts.slice(i + 1), name);
        closeSync(fd);
        fd = -1;
        return walk(shown, next, make, hops + 1);
      }
      if (!st.isDirectory()) throw Object.assign(new Error('not a folder'), { code: 'ENOTDIR' });
      const next = openSync(via, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW);
      closeSync(fd);
      fd = next;
      dir = resolve(dir, part);
    }
    return { fd, stat: fstatSync(fd), dir, name };
  } catch (err) {
    if (fd >= 0) closeSync(fd);
    throw fail(shown, err);
  }
}

// What the last name is now, or undefined when it does not exist.
function entry(p: Parent): Stats | undefined {
  try {
    return lstatSync(`/proc/self/fd/${p.fd}/${p.name}`);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}

// Why this existing entry may not be written, or undefined when it may (a link is judged by the caller).
// A device (/dev/null, /dev/full, a terminal) is written, never truncated, whoever owns it.
function refusal(st: Stats, p: Parent): string | undefined {
  if (st.isDirectory()) return 'it is a folder';
  const judged = st.isFile() || (st.isFIFO() && shared(p.stat)) || st.isSocket();
  if (judged && !ownUids().has(st.uid)) return `it belongs to another user, ${userOf(st.uid)}; it is not overwritten`;
  // Another name of one of the caller's files (a hard link), placed where anyone may write: not truncated.
  if (shared(p.stat) && st.isFile() && st.nlink > 1)
    return `it has ${st.nlink} names and lies in the shared folder ${p.dir}; it is not overwritten`;
  return undefined;
}

// Opens the named file for writing from its start: created if missing, truncated only if it is the caller's
// own regular file. Links are followed only where mayFollow allows. Returns the fd; errors name the file.
export function openOutputFile(path: string, shown = path, hops = 0): number {
  const p = walk(shown, path, false, hops);
  try {
    const via = `/proc/self/fd/${p.fd}/${p.name}`;
    const st = entry(p);
    if (st?.isSymbolicLink()) {
      if (!mayFollow(st, p.stat))
        throw refuse(
          shown,
          `${resolve(p.dir, p.name)} is a symbolic link that ${userOf(st.uid)} made in the shared folder ${p.dir}; it is not followed`,
        );
      const target = readlinkSync(via);
      // A magic link of /proc (a descriptor, a pipe): no path to walk; the kernel follows it.
      if (p.dir.startsWith('/proc/') && !target.startsWith('/')) return openSync(via, constants.O_WRONLY);
      if (hops >= MAX_LINKS) throw refuse(shown, 'too many symbolic links on its way');
      return openOutputFile(resolve(p.dir, target), shown, hops + 1);
    }
    if (!st)
      return openSync(via, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o666);
    const no = refusal(st, p);
    if (no) throw refuse(shown, no);
    const fd = openSync(via, constants.O_WRONLY | constants.O_NOFOLLOW | (st.isFIFO() ? constants.O_NONBLOCK : 0));
    const now = fstatSync(fd);
    if (now.ino !== st.ino || now.dev !== st.dev) {
      closeSync(fd);
      throw refuse(shown, 'it was replaced while it was opened');
    }
    if (now.isFile()) ftruncateSync(fd, 0);
    return fd;
  } catch (err) {
    throw fail(shown, err);
  } finally {
    closeSync(p.fd);
  }
}

// Checks, before anything is built, that the file could be opened as openOutputFile would (nothing created).
export function checkOutputFile(path: string, shown = path, hops = 0): void {
  const p = walk(shown, path, false, hops);
  try {
    const st = entry(p);
    if (!st) return;
    if (st.isSymbolicLink()) {
      if (!mayFollow(st, p.stat))
        throw refuse(
          shown,
          `${resolve(p.dir, p.name)} is a symbolic link that ${userOf(st.uid)} made in the shared folder ${p.dir}; it is not followed`,
        );
      const target = readlinkSync(`/proc/self/fd/${p.fd}/${p.name}`);
      if (p.dir.startsWith('/proc/') && !target.startsWith('/')) return;
      if (hops >= MAX_LINKS) throw refuse(shown, 'too many symbolic links on its way');
      checkOutputFile(resolve(p.dir, target), shown, hops + 1);
      return;
    }
    const no = refusal(st, p);
    if (no) throw refuse(shown, no);
  } catch (err) {
    throw fail(shown, err);
  } finally {
    closeSync(p.fd);
  }
}

// Writes the whole text into the named file (see openOutputFile); a failed write names the file.
export function writeOutputFile(path: string, data: string | Buffer): void {
  const fd = openOutputFile(path);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let off = 0; off < buf.length;) off += writeSync(fd, buf, off);
  } catch (err) {
    closeSync(fd);
    throw fail(path, err);
  }
  try {
    closeSync(fd); // a network file system may say only now that the data did not land
  } catch (err) {
    throw fail(path, err);
  }
}

// mkdir -p for an output folder, along the same rules: no link of another user in a shared folder is followed.
export function makeOutputDir(path: string): void {
  const p = walk(path, resolve(path, 'x'), true);
  closeSync(p.fd);
}
