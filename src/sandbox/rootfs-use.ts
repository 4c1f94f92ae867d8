// Is a root filesystem build in use? Yes while a live runner has pinned it (it may still mount it), or
// while any mount namespace on the machine has an overlay with it as a lower layer (a kept or running
// sandbox). The overlay is the kernel's own record, so it holds whatever happened to the runner.
import { mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startTicks } from './proc-info.js';
import { listStates } from './state.js';

export interface MountTable {
  pids: number[]; // every process in this mount namespace
  text: string; // its /proc/PID/mountinfo
}

export interface MountView {
  tables: MountTable[];
  unreadable: number[]; // pids whose mount namespace could not be read (so: cannot tell)
}

const pinDir = (cache: string): string => join(cache, '.pins');
const ownPins = new Set<string>();

// Marks a build as used by this process until it exits (it may mount the build at any time until then).
export function pinBuild(cache: string, build: string): void {
  const file = join(pinDir(cache), `${build}@${process.pid}.${startTicks(process.pid) ?? 0}`);
  try {
    mkdirSync(pinDir(cache), { recursive: true });
    writeFileSync(file, '');
  } catch {
    return; // a cache this user cannot write is one it cannot build or replace either
  }
  if (!ownPins.size) process.once('exit', () => ownPins.forEach((f) => rmSync(f, { force: true })));
  ownPins.add(file);
  livePins(cache, build); // on the way, drop the pins of runners that were killed
}

// Drops this process's pin on a build.
export function unpinBuild(cache: string, build: string): void {
  const file = join(pinDir(cache), `${build}@${process.pid}.${startTicks(process.pid) ?? 0}`);
  rmSync(file, { force: true });
  ownPins.delete(file);
}

// Pids of live processes that pinned the build; pins of dead (or reused) pids are removed on the way.
export function livePins(cache: string, build: string): number[] {
  const pids: number[] = [];
  let names: string[] = [];
  try {
    names = readdirSync(pinDir(cache));
  } catch {
    return [];
  }
  for (const name of names) {
    const m = /^(.+)@(\d+)\.(\d+)$/.exec(name);
    if (!m) continue;
    const pid = Number(m[2]);
    const live = startTicks(pid) === Number(m[3]);
    if (live && m[1] === build) pids.push(pid);
    if (!live) rmSync(join(pinDir(cache), name), { force: true });
  }
  return pids;
}

// Every mount namespace on the machine, read once each. Root reads every namespace a sandbox can have
// (sandboxes are made by root in its own user namespace or below), so a namespace root cannot read
// (here: the machine's PID 1, from a parent user namespace) holds no lab overlay; anyone else cannot tell.
export function readMounts(): MountView {
  const byNs = new Map<string, MountTable>();
  const unreadable: number[] = [];
  const root = process.geteuid?.() === 0;
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    let ns: string;
    try {
      ns = readlinkSync(`/proc/${pid}/ns/mnt`);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !root) unreadable.push(pid); // EACCES: another user's process
      continue;
    }
    const seen = byNs.get(ns);
    if (seen) {
      seen.pids.push(pid);
      continue;
    }
    try {
      byNs.set(ns, { pids: [pid], text: readFileSync(`/proc/${pid}/mountinfo`, 'utf8') });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' && !root) unreadable.push(pid);
    }
  }
  return { tables: [...byNs.values()], unreadable };
}

// The lower layers of every overlay in a mountinfo text, unescaped.
export function overlayLowerdirs(mountinfo: string): string[] {
  const out: string[] = [];
  for (const line of mountinfo.split('\n')) {
    const [, post] = line.split(' - ');
    const [fstype, , opts = ''] = (post ?? '').split(' ');
    if (fstype !== 'overlay') continue;
    for (const opt of opts.split(',')) {
      const m = /^(lowerdir\+?|datadir\+)=(.*)$/.exec(opt);
      if (!m?.[2]) continue;
      const layers = m[1] === 'lowerdir' ? m[2].split(/(?<!\\):/) : [m[2]];
      out.push(...layers.filter(Boolean).map(unescapeMount));
    }
  }
  return out;
}

// mountinfo writes space, tab, newline and backslash as \ooo; overlay writes a ':' in a path as '\:'.
function unescapeMount(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8))).replace(/\\:/g, ':');
}

// The same path with symlinks resolved when it exists here, so /x/cache and /real/cache compare equal.
function canonical(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

// Who uses a build's root: processes whose mount namespace overlays it, and live runners that pinned it.
// `unknown` lists namespaces that could not be read: then nobody can say it is unused.
export function buildUsers(root: string, view: MountView, pins: number[] = []): { users: string[]; unknown: number[] } {
  const want = canonical(root);
  const users: string[] = [];
  for (const t of view.tables) {
    const hit = overlayLowerdirs(t.text).some((l) => {
      const c = canonical(l);
      return l === root || c === want || c.startsWith(`${want}/`);
    });
    if (hit) users.push(describeNamespace(t.pids));
  }
  for (const pid of pins) users.push(`runner pid ${pid} (it may still start a container on it)`);
  return { users: [...new Set(users)], unknown: view.unreadable };
}

// Names the sandbox a mount namespace belongs to, from the journal, or its first process.
function describeNamespace(pids: number[]): string {
  for (const s of listStates()) {
    const mine = [s.initPid, ...Object.values(s.containers ?? {})];
    if (pids.some((p) => mine.includes(p))) return `sandbox ${s.runId} (${s.lab}${s.kept ? ', kept' : ''})`;
  }
  return `the mount namespace of pid ${pids[0]}`;
}
