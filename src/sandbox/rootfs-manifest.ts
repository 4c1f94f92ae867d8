// What a root filesystem build holds, recorded once when it is built (path, type, mode, size, mtime, and
// the sha256 of each regular file or the target of each link), so a damaged cache is found and named.
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, readlinkSync, type Stats, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const MANIFEST = 'manifest.json'; // beside meta.json, outside the root the nodes see

// [path relative to the root, type, mode, size, mtimeMs, sha256 of a file | target of a link | '']
export type ManifestEntry = [string, EntryType, number, number, number, string];
type EntryType = 'f' | 'd' | 'l' | 'c' | 'b' | 'p' | 's';

interface Manifest {
  version: 1;
  entries: ManifestEntry[];
}

// The few programs every lab leans on: hashed on every run as well (they are small), the rest by stat.
const KEY_FILES = ['usr/bin/dash', 'usr/bin/ping', 'usr/bin/ip', 'usr/bin/curl', 'usr/bin/nc.openbsd'];
// What every run compares by stat: the top level, programs, libraries and configuration (about 40% of the
// entries); documentation, locales and package lists (usr/share, var/lib) only `lab rootfs status` reads.
const EACH_RUN = ['usr/bin/', 'usr/sbin/', 'usr/lib/', 'etc/'];
const eachRun = (e: ManifestEntry): boolean =>
  !e[0].includes('/') || (e[1] !== 'd' && EACH_RUN.some((p) => e[0].startsWith(p)));

const typeOf = (s: Stats): EntryType =>
  s.isFile()
    ? 'f'
    : s.isDirectory()
      ? 'd'
      : s.isSymbolicLink()
        ? 'l'
        : s.isCharacterDevice()
          ? 'c'
          : s.isBlockDevice()
            ? 'b'
            : s.isFIFO()
              ? 'p'
              : 's';

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

// One entry for the thing at `rel` (its stat given); without `digests`, no file is read.
function entryOf(root: string, rel: string, s: Stats, digests: boolean): ManifestEntry {
  const type = typeOf(s);
  const full = join(root, rel);
  const digest = !digests ? '' : type === 'f' ? sha256(full) : type === 'l' ? readlinkSync(full) : '';
  return [rel, type, s.mode & 0o7777, type === 'd' ? 0 : s.size, type === 'd' ? 0 : s.mtimeMs, digest];
}

// Every entry below root, parents before children, in a stable order.
function walk(root: string, digests = true): ManifestEntry[] {
  const out: ManifestEntry[] = [];
  const visit = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      const s = lstatSync(join(root, r));
      out.push(entryOf(root, r, s, digests));
      if (s.isDirectory()) visit(r);
    }
  };
  visit('');
  return out;
}

// Records the manifest of `root` into the build folder `dir` (at build time, before the build is renamed in).
export function writeManifest(dir: string, root: string): number {
  const m: Manifest = { version: 1, entries: walk(root) };
  writeFileSync(join(dir, MANIFEST), `${JSON.stringify(m)}\n`);
  return m.entries.length;
}

// The manifest of a build folder, or undefined when it has none (built by an older version).
function readManifest(dir: string): Manifest | undefined {
  try {
    return JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Manifest;
  } catch {
    return undefined;
  }
}

export interface BuildCheck {
  state: 'healthy' | 'damaged' | 'unverifiable';
  problems: string[]; // "usr/bin/sh missing", "usr/bin/ping changed (size 90568 -> 0)", "etc/x added"
  checked: number; // entries compared
}

const LIMIT = 20; // problems named one by one; the rest are counted

// What differs between the recorded entry and the one on disk (undefined: nothing), by stat only unless `hash`.
function difference(root: string, e: ManifestEntry, hash: boolean): string | undefined {
  const [rel, type, mode, size, mtime, digest] = e;
  const s = lstatSync(join(root, rel), { throwIfNoEntry: false });
  if (!s) return `${rel} missing`;
  const now = typeOf(s);
  if (now !== type) return `${rel} changed (was a ${kind(type)}, now a ${kind(now)})`;
  if ((s.mode & 0o7777) !== mode)
    return `${rel} changed (mode ${mode.toString(8)} -> ${(s.mode & 0o7777).toString(8)})`;
  if (type === 'd') return undefined;
  if (s.size !== size) return `${rel} changed (size ${size} -> ${s.size})`;
  if (type === 'l' && hash && readlinkSync(join(root, rel)) !== digest) return `${rel} changed (link target)`;
  if (type === 'f' && (hash || s.mtimeMs !== mtime) && sha256(join(root, rel)) !== digest)
    return `${rel} changed (content)`;
  return undefined;
}

const kind = (t: EntryType): string =>
  ({ f: 'file', d: 'folder', l: 'link', c: 'character device', b: 'block device', p: 'fifo', s: 'socket' })[t];

// Compares a build with its manifest. `full`: every entry, every file's hash and link's target, and entries
// added since; otherwise (every run) the stat of the entries eachRun picks, the hash of a file whose mtime
// moved, and the hashes of the few key programs.
export function checkBuild(dir: string, root: string, full: boolean): BuildCheck {
  const m = readManifest(dir);
  if (!m || m.version !== 1 || !Array.isArray(m.entries))
    return {
      state: 'unverifiable',
      problems: [`no manifest (${MANIFEST}) in ${dir}: built by an older version`],
      checked: 0,
    };
  const problems: string[] = [];
  let more = 0;
  const add = (p: string | undefined): void => {
    if (!p) return;
    if (problems.length < LIMIT) problems.push(p);
    else more++;
  };
  const keys = new Set(KEY_FILES);
  for (const e of m.entries) {
    if (!full && !eachRun(e)) continue;
    try {
      add(difference(root, e, full || keys.has(e[0])));
    } catch (err) {
      add(`${e[0]} unreadable (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  if (full) {
    const known = new Set(m.entries.map((e) => e[0]));
    try {
      for (const e of walk(root, false)) if (!known.has(e[0])) add(`${e[0]} added`);
    } catch (err) {
      add(`the tree cannot be walked (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  if (more) problems.push(`and ${more} more`);
  return { state: problems.length ? 'damaged' : 'healthy', problems, checked: m.entries.length };
}
