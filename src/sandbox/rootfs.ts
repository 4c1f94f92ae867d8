// The containers' root filesystem: built once with debootstrap from rootfs/recipe.json, cached by hash.
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runCommand } from '../sys/exec.js';
import { EnvironmentError, InternalError, UsageError } from '../errors.js';
import { requireTools } from '../sys/tools.js';
import { diagnoseRootfsFailure } from './rootfs-diagnose.js';
import { checkBuild, writeManifest, type BuildCheck } from './rootfs-manifest.js';
import { takeBuildLock } from './rootfs-lock.js';
import { buildUsers, livePins, pinBuild, readMounts, unpinBuild, type MountView } from './rootfs-use.js';
import { isAlive } from './state.js';

export interface Recipe {
  suite: string;
  variant: string;
  packages: string[];
  prune: string[];
}

export interface RootfsInfo {
  hash: string;
  build: string; // its folder in the cache: HASH-STAMP (or HASH, as older versions named it)
  path: string; // the root directory, absolute, computed from the cache folder when read (meta.json holds BUILD/root)
  builtAt: string;
  buildMs: number;
  sizeBytes: number;
  recipe: Recipe;
}

const REPO = fileURLToPath(new URL('../../../', import.meta.url));

// Where the recipe and the cache live; tests point the cache elsewhere.
export function rootfsPaths(): { recipe: string; cache: string } {
  return {
    recipe: join(REPO, 'rootfs', 'recipe.json'),
    cache: process.env.LAB_ROOTFS_CACHE ?? join(REPO, 'rootfs', 'cache'),
  };
}

// The recipe, and the hash that names its build on this architecture.
export function currentRecipe(): { recipe: Recipe; hash: string } {
  const recipe = JSON.parse(readFileSync(rootfsPaths().recipe, 'utf8')) as Recipe;
  const hash = createHash('sha256')
    .update(JSON.stringify({ recipe, arch: process.arch }))
    .digest('hex')
    .slice(0, 12);
  return { recipe, hash };
}

// Every complete build in the cache (oldest first), and folders of builds that never finished or are being removed.
export function cacheStatus(): { builds: RootfsInfo[]; partial: string[] } {
  const dir = rootfsPaths().cache;
  const builds: RootfsInfo[] = [];
  const partial: string[] = [];
  for (const name of safeList(dir)) {
    if (name.startsWith('.tmp-') || name.startsWith('.trash-')) partial.push(name);
    const meta = join(dir, name, 'meta.json');
    if (name.startsWith('.') || !existsSync(meta)) continue;
    const info = JSON.parse(readFileSync(meta, 'utf8')) as RootfsInfo;
    // The path comes from where the build is now, never from meta.json: a copied cache uses its own copy.
    builds.push({ ...info, build: name, path: resolveRoot(dir, name) });
  }
  return { builds: builds.sort((a, b) => byStamp(stampOf(a.build), stampOf(b.build))), partial };
}

// The absolute root of a build, symlinks resolved, so every overlay names it the same way.
function resolveRoot(cache: string, build: string): string {
  const root = join(cache, build, 'root');
  try {
    return realpathSync(root);
  } catch {
    return root;
  }
}

// Stamps are fixed-width digits: compared as bytes (localeCompare would load ICU's collator).
const byStamp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// "HASH-20261125T125236123Z" -> its stamp; "" for an older version's "HASH" (the oldest).
function stampOf(build: string): string {
  return /^[0-9a-f]+-(\d{8}T\d{9}Z)$/.exec(build)?.[1] ?? '';
}

// The cached build for the current recipe, if complete: the newest one.
export function cachedRootfs(): RootfsInfo | undefined {
  const { hash } = currentRecipe();
  return cacheStatus()
    .builds.filter((b) => b.hash === hash)
    .pop();
}

// The current build, pinned for this process's lifetime; re-read after pinning so a build replaced meanwhile is never used.
function pinnedCurrent(): RootfsInfo | undefined {
  const { cache } = rootfsPaths();
  for (let i = 0; i < 10; i++) {
    const cur = cachedRootfs();
    if (!cur) return undefined;
    pinBuild(cache, cur.build);
    if (cachedRootfs()?.build === cur.build) return cur;
    unpinBuild(cache, cur.build);
  }
  throw new InternalError('the root filesystem kept changing while a run picked it');
}

// The folder a LAB_ROOTFS_SOURCE test build copies, refused unless the cache is a test's own too.
function testSource(): string | undefined {
  const source = process.env.LAB_ROOTFS_SOURCE;
  if (!source) return undefined;
  if (!process.env.LAB_ROOTFS_CACHE)
    throw new UsageError(
      'ROOTFS_SOURCE_WITHOUT_CACHE',
      'LAB_ROOTFS_SOURCE (a test-only build from a local folder) is set but LAB_ROOTFS_CACHE is not',
      'set LAB_ROOTFS_CACHE to a test cache folder too, or unset LAB_ROOTFS_SOURCE',
    );
  return source;
}

// The Debian mirror apt already uses here (so debootstrap reaches what apt reaches), or the default.
export function debianMirror(): string {
  if (process.env.LAB_DEBIAN_MIRROR) return process.env.LAB_DEBIAN_MIRROR;
  for (const f of ['/etc/apt/sources.list.d/debian.sources', '/etc/apt/sources.list']) {
    try {
      const text = readFileSync(f, 'utf8');
      const m =
        /^URIs:\s*(\S+\/debian)\s*$/m.exec(text) ?? /^deb\s+(?:\[[^\]]*\]\s+)?(\S+\/debian)\s+\S+\s+main/m.exec(text);
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

export interface OldBuilds {
  removed: string[]; // replaced builds that nothing used any more, now gone
  kept: { build: string; users: string[] }[]; // replaced builds still in use, and by whom
  failed: { build: string; reason: string }[];
}

// The whole check of a build against its manifest (every file's hash, and what was added): for `lab rootfs status`.
export function verifyBuild(b: RootfsInfo): BuildCheck {
  return checkBuild(join(rootfsPaths().cache, b.build), b.path, true);
}

// Returns the cached root for the current recipe, building it first if needed (one builder at a time); a
// build that no longer matches its manifest is rebuilt, saying so.
export async function ensureRootfs(opts: BuildOptions = {}): Promise<RootfsInfo & { built: boolean; old?: OldBuilds }> {
  testSource(); // refused before the cache is touched
  const hit = pinnedCurrent();
  const { cache } = rootfsPaths();
  let force = Boolean(opts.force);
  if (hit && !force) {
    // Every run: each recorded entry's stat and the key programs' hashes against the build's manifest.
    const check = checkBuild(join(cache, hit.build), hit.path, false);
    if (check.state !== 'damaged') return { ...hit, built: false };
    opts.onProgress?.(`root filesystem ${hit.build} is damaged (${check.problems.join(', ')}): rebuilding it`);
    force = true;
  }
  mkdirSync(cache, { recursive: true });
  const { hash } = currentRecipe();
  const release = await takeBuildLock(cache, hash, {
    timeoutMs: opts.lockTimeoutMs ?? 20 * 60_000,
    ...(opts.onProgress ? { onWait: opts.onProgress } : {}),
  });
  try {
    const again = pinnedCurrent();
    // Forced, but another builder finished a new build while we waited: that is the rebuild asked for.
    if (again && (!force || again.build !== hit?.build)) return { ...again, built: false };
    const info = await build(hash, opts);
    pinnedCurrent();
    if (hit) unpinBuild(cache, hit.build); // this process no longer needs the build it replaced
    const old = collectOldBuilds();
    for (const k of old.kept)
      opts.onProgress?.(
        `previous build ${k.build} kept while in use by ${k.users.join(', ')}; \`lab clean\` or the next build removes it once unused`,
      );
    for (const r of old.removed) opts.onProgress?.(`previous build ${r} removed (nothing used it)`);
    return { ...info, built: true, old };
  } finally {
    await release();
  }
}

// Removes builds replaced by a newer one of the same recipe, unless a sandbox or a live runner still uses them.
export function collectOldBuilds(view?: MountView): OldBuilds {
  const { cache } = rootfsPaths();
  const out: OldBuilds = { removed: [], kept: [], failed: [] };
  const replaced = replacedBuilds();
  if (!replaced.length) return out;
  const mounts = view ?? readMounts();
  for (const b of replaced) {
    const { users, unknown } = buildUsers(b.path, mounts, livePins(cache, b.build));
    if (users.length || unknown.length) {
      out.kept.push({
        build: b.build,
        users: users.length
          ? users
          : [`possibly the mount namespaces of ${unknown.length} processes this user cannot read`],
      });
      continue;
    }
    // Renamed first (atomic, so one remover wins), then deleted: a kill midway leaves only a .trash- folder.
    const trash = join(cache, `.trash-${b.build}-${process.pid}`);
    try {
      renameSync(join(cache, b.build), trash);
      rmSync(trash, { recursive: true, force: true });
      out.removed.push(b.build);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT')
        out.failed.push({
          build: b.build,
          reason: code === 'EACCES' || code === 'EPERM' ? 'permission denied' : String(err),
        });
    }
  }
  return out;
}

// Builds that a newer build of the same recipe hash replaced.
export function replacedBuilds(): RootfsInfo[] {
  const builds = cacheStatus().builds;
  const newest = new Map(builds.map((b) => [b.hash, b.build])); // sorted oldest first, so the last one wins
  return builds.filter((b) => newest.get(b.hash) !== b.build);
}

// A new build's folder name, sorting after every existing one of this hash (even if the clock went back).
function newBuildName(cache: string, hash: string): string {
  const last = /^(\d{4})(\d\d)(\d\d)T(\d\d)(\d\d)(\d\d)(\d{3})Z$/.exec(
    stampOf(
      cacheStatus()
        .builds.filter((b) => b.hash === hash)
        .pop()?.build ?? '',
    ),
  );
  const lastMs = last ? Date.parse(`${last[1]}-${last[2]}-${last[3]}T${last[4]}:${last[5]}:${last[6]}.${last[7]}Z`) : 0;
  let t = Math.max(Date.now(), lastMs + 1);
  const name = (): string => `${hash}-${new Date(t).toISOString().replace(/[-:.]/g, '')}`;
  while (existsSync(join(cache, name()))) t += 1;
  return name();
}

// debootstrap (or, for tests, a copy of LAB_ROOTFS_SOURCE) into a temporary folder, measure, then rename it in
// under a new name: all or nothing, and the build it replaces stays until no sandbox uses it.
async function build(hash: string, opts: BuildOptions): Promise<RootfsInfo> {
  const { cache } = rootfsPaths();
  removePartial(cache);
  const { recipe } = currentRecipe();
  const tmp = join(cache, `.tmp-${hash}-${process.pid}`);
  const root = join(tmp, 'root');
  mkdirSync(root, { recursive: true });
  const started = performance.now();
  const source = testSource();
  if (source) await copyTree(source, root, tmp, opts);
  else await debootstrap(recipe, root, tmp, opts);
  const hashing = performance.now();
  const entries = writeManifest(tmp, root);
  opts.onProgress?.(
    `manifest: ${entries} entries recorded (sha256 of every file) in ${((performance.now() - hashing) / 1000).toFixed(1)} s`,
  );
  const du = await runCommand({ argv: ['du', '-sb', root], display: 'du -sb', node: '' });
  const name = newBuildName(cache, hash);
  const info: RootfsInfo = {
    hash,
    build: name,
    path: `${name}/root`,
    builtAt: new Date().toISOString(),
    buildMs: Math.round(performance.now() - started),
    sizeBytes: Number(du.output.split(/\s/)[0]) || 0,
    recipe,
  };
  writeFileSync(join(tmp, 'meta.json'), `${JSON.stringify(info, null, 2)}\n`); // path relative to the cache
  renameSync(tmp, join(cache, name)); // never replaces anything: a kill before or after leaves one whole build
  opts.onProgress?.(
    `root filesystem ${name} ready: ${(info.sizeBytes / 2 ** 20).toFixed(0)} MiB in ${(info.buildMs / 1000).toFixed(0)} s`,
  );
  return { ...info, path: resolveRoot(cache, name) };
}

// Test-only build: hard-links (or copies) a local folder, so tests never download a second root filesystem.
async function copyTree(source: string, root: string, tmp: string, opts: BuildOptions): Promise<void> {
  opts.onProgress?.(`copying ${source} (LAB_ROOTFS_SOURCE, a test build)`);
  const copy = (flags: string) =>
    runCommand({ argv: ['cp', flags, `${source}/.`, root], display: `cp ${flags}`, node: '', timeoutMs: 10 * 60_000 });
  const linked = await copy('-al');
  const r = linked.exitCode === 0 ? linked : await copy('-a');
  if (r.exitCode !== 0) {
    rmSync(tmp, { recursive: true, force: true });
    throw new EnvironmentError(
      'ROOTFS_SOURCE_FAILED',
      `cannot copy LAB_ROOTFS_SOURCE ${source}: ${r.stderr.trim()}`,
      'point LAB_ROOTFS_SOURCE at a readable folder',
    );
  }
}

// debootstrap the recipe into root (in private namespaces), then prune it; on failure the temporary folder goes.
async function debootstrap(recipe: Recipe, root: string, tmp: string, opts: BuildOptions): Promise<void> {
  requireTools(['debootstrap', 'setpriv', 'unshare']);
  const mirror = debianMirror();
  opts.onProgress?.(`debootstrap --variant=${recipe.variant} ${recipe.suite} from ${mirror}`);
  // Private mount and PID namespaces: debootstrap's mounts and processes die with this runner.
  let tail: string[] = [];
  const r = await runCommand({
    argv: [
      'setpriv',
      '--pdeathsig',
      'KILL',
      'unshare',
      '--pid',
      '--fork',
      '--kill-child',
      '--mount',
      '--propagation',
      'private',
      'debootstrap',
      `--variant=${recipe.variant}`,
      `--include=${recipe.packages.join(',')}`,
      recipe.suite,
      root,
      mirror,
    ],
    display: 'debootstrap',
    node: '',
    timeoutMs: 30 * 60_000,
    onOutput: (text) => {
      for (const line of text.split('\n').filter(Boolean)) {
        tail = [...tail.slice(-19), line];
        if (/^[IWE]: /.test(line)) opts.onProgress?.(line);
      }
    },
  });
  if (r.exitCode !== 0) {
    const log = join(root, 'debootstrap', 'debootstrap.log');
    const why = diagnoseRootfsFailure({
      exit: r.exitCode ?? (r.timedOut ? 'timeout' : 'signal'),
      output: tail,
      log: existsSync(log) ? readFileSync(log, 'utf8').split('\n').slice(-40).join('\n') : '',
      mirror,
    });
    rmSync(tmp, { recursive: true, force: true });
    throw new EnvironmentError('ROOTFS_BUILD_FAILED', why.message, why.hint);
  }
  for (const p of recipe.prune)
    for (const entry of safeList(join(root, p))) rmSync(join(root, p, entry), { recursive: true, force: true });
}

function safeList(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

// Removes folders of builds whose builder (or remover) is gone, refusing if anything is still mounted below them.
export function removePartial(cache = rootfsPaths().cache): string[] {
  const removed: string[] = [];
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  for (const name of safeList(cache).filter((n) => n.startsWith('.tmp-') || n.startsWith('.trash-'))) {
    const pid = Number(name.split('-').pop());
    if (pid && isAlive(pid) && pid !== process.pid) continue;
    const dir = join(cache, name);
    if (mounts.includes(` ${dir}/`))
      throw new InternalError(`refusing to remove ${dir}: something is still mounted below it`);
    rmSync(dir, { recursive: true, force: true });
    removed.push(name);
  }
  return removed;
}
