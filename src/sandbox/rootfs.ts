// The containers' root filesystem: built once with debootstrap from rootfs/recipe.json, cached by hash.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { EnvironmentError, InternalError } from '../errors.js';
import { requireTools } from '../sys/tools.js';
import { diagnoseRootfsFailure } from './rootfs-diagnose.js';
import { isAlive } from './state.js';

export interface Recipe {
  suite: string;
  variant: string;
  packages: string[];
  prune: string[];
}

export interface RootfsInfo {
  hash: string;
  path: string; // the root directory
  builtAt: string;
  buildMs: number;
  sizeBytes: number;
  recipe: Recipe;
}

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

// Where the recipe and the cache live; tests point the cache elsewhere.
export function rootfsPaths(): { recipe: string; cache: string } {
  return { recipe: join(REPO, 'rootfs', 'recipe.json'), cache: process.env.LAB_ROOTFS_CACHE ?? join(REPO, 'rootfs', 'cache') };
}

// The recipe, and the hash that names its build on this architecture.
export function currentRecipe(): { recipe: Recipe; hash: string } {
  const recipe = JSON.parse(readFileSync(rootfsPaths().recipe, 'utf8')) as Recipe;
  const hash = createHash('sha256').update(JSON.stringify({ recipe, arch: process.arch })).digest('hex').slice(0, 12);
  return { recipe, hash };
}

// Every complete build in the cache, and folders of builds that never finished.
export function cacheStatus(): { builds: RootfsInfo[]; partial: string[] } {
  const dir = rootfsPaths().cache;
  const builds: RootfsInfo[] = [];
  const partial: string[] = [];
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    if (name.startsWith('.tmp-')) partial.push(name);
    const meta = join(dir, name, 'meta.json');
    if (!name.startsWith('.') && existsSync(meta)) builds.push(JSON.parse(readFileSync(meta, 'utf8')) as RootfsInfo);
  }
  return { builds, partial };
}

// The cached build for the current recipe, if complete.
export function cachedRootfs(): RootfsInfo | undefined {
  const { hash } = currentRecipe();
  return cacheStatus().builds.find((b) => b.hash === hash);
}

// The Debian mirror apt already uses here (so debootstrap reaches what apt reaches), or the default.
export function debianMirror(): string {
  if (process.env.LAB_DEBIAN_MIRROR) return process.env.LAB_DEBIAN_MIRROR;
  for (const f of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    try {
      const text = readFileSync(f, 'utf8');
      const m = /^URIs:\s*(\S+\/debian)\s*$/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s+\S+\s+main/m.exec(text);
      if (m?.[1]) return m[1];
    } catch {
      // not there
    }
  }
  return 'http://deb.debian.org/debian';
}

export interface BuildOptions {
  force?: boolean;
  onProgress?: (line: string) => void;
  lockTimeoutMs?: number;
}

// Returns the cached root for the current recipe, building it first if needed (one builder at a time).
export async function ensureRootfs(opts: BuildOptions = {}): Promise<RootfsInfo & { built: boolean }> {
  const hit = cachedRootfs();
  if (hit && !opts.force) return { ...hit, built: false };
  const { cache } = rootfsPaths();
  mkdirSync(cache, { recursive: true });
  const { hash } = currentRecipe();
  const lock = join(cache, `.lock-${hash}`);
  const release = await takeLock(lock, opts);
  try {
    const again = cachedRootfs();
    if (again && !opts.force) return { ...again, built: false };
    return { ...(await build(hash, opts)), built: true };
  } finally {
    release();
  }
}

// An exclusive lock file holding our pid; a lock whose owner died is taken over.
async function takeLock(path: string, opts: BuildOptions): Promise<() => void> {
  const deadline = Date.now() + (opts.lockTimeoutMs ?? 20 * 60_000);
  let told = false;
  for (;;) {
    try {
      const fd = openSync(path, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(path, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const owner = Number(readFileSync(path, 'utf8').trim() || 0);
    if (!owner || !isAlive(owner)) {
      rmSync(path, { force: true });
      continue;
    }
    if (!told) opts.onProgress?.(`waiting for the root filesystem build of process ${owner}`);
    told = true;
    if (Date.now() > deadline) throw new EnvironmentError('ROOTFS_LOCKED', `another root filesystem build (pid ${owner}) did not finish in time`, 'wait for it, or stop it and run `lab rootfs build`');
    await new Promise((r) => setTimeout(r, 250));
  }
}

// debootstrap into a temporary folder, prune, measure, then rename into place: all or nothing.
async function build(hash: string, opts: BuildOptions): Promise<RootfsInfo> {
  requireTools(['debootstrap', 'setpriv', 'unshare']);
  const { cache } = rootfsPaths();
  removePartial(cache);
  const { recipe } = currentRecipe();
  const tmp = join(cache, `.tmp-${hash}-${process.pid}`);
  const root = join(tmp, 'root');
  mkdirSync(root, { recursive: true });
  const started = performance.now();
  const mirror = debianMirror();
  opts.onProgress?.(`debootstrap --variant=${recipe.variant} ${recipe.suite} from ${mirror}`);
  // Private mount and PID namespaces: debootstrap's mounts and processes die with this runner.
  const proc = execa('setpriv', ['--pdeathsig', 'KILL', 'unshare', '--pid', '--fork', '--kill-child', '--mount', '--propagation', 'private',
    'debootstrap', `--variant=${recipe.variant}`, `--include=${recipe.packages.join(',')}`, recipe.suite, root, mirror], { reject: false, all: true });
  let tail: string[] = [];
  proc.all?.on('data', (d: Buffer) => {
    for (const line of d.toString().split('\n').filter(Boolean)) {
      tail = [...tail.slice(-19), line];
      if (/^[IWE]: /.test(line)) opts.onProgress?.(line);
    }
  });
  const r = await proc;
  if (r.exitCode !== 0) {
    const log = join(root, 'debootstrap', 'debootstrap.log');
    const why = diagnoseRootfsFailure({ exit: r.exitCode ?? r.signal, output: tail, log: existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-40).join('\n') : '', mirror });
    rmSync(tmp, { recursive: true, force: true });
    throw new EnvironmentError('ROOTFS_BUILD_FAILED', why.message, why.hint);
  }
  for (const p of recipe.prune) for (const entry of safeList(join(root, p))) rmSync(join(root, p, entry), { recursive: true, force: true });
  const du = await execa('du', ['-sb', root], { reject: false });
  const info: RootfsInfo = { hash, path: join(cache, hash, 'root'), builtAt: new Date().toISOString(), buildMs: Math.round(performance.now() - started), sizeBytes: Number(String(du.stdout).split(/\s/)[0]) || 0, recipe };
  writeFileSync(join(tmp, 'meta.json'), `${JSON.stringify(info, null, 2)}\n`);
  rmSync(join(cache, hash), { recursive: true, force: true });
  renameSync(tmp, join(cache, hash));
  opts.onProgress?.(`root filesystem ${hash} ready: ${(info.sizeBytes / 2 ** 20).toFixed(0)} MiB in ${(info.buildMs / 1000).toFixed(0)} s`);
  return info;
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

// Removes folders of builds whose builder is gone, refusing if anything is still mounted below them.
export function removePartial(cache = rootfsPaths().cache): string[] {
  const removed: string[] = [];
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  for (const name of safeList(cache).filter((n) => n.startsWith('.tmp-'))) {
    const pid = Number(name.split('-').pop());
    if (pid && isAlive(pid) && pid !== process.pid) continue;
    const dir = join(cache, name);
    if (mounts.includes(` ${dir}/`)) throw new InternalError(`refusing to remove ${dir}: something is still mounted below it`);
    rmSync(dir, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
