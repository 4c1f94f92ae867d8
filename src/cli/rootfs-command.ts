// `lab rootfs build|status`: the containers' root filesystem, built once and cached.
import { EXIT } from '../errors.js';
import {
  cacheStatus,
  collectOldBuilds,
  currentRecipe,
  ensureRootfs,
  replacedBuilds,
  rootfsPaths,
  verifyBuild,
  type OldBuilds,
} from '../sandbox/rootfs.js';
import { type BuildCheck } from '../sandbox/rootfs-manifest.js';
import { buildUsers, livePins, readMounts } from '../sandbox/rootfs-use.js';

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;

// Builds (or confirms) the root filesystem for the current recipe, then removes replaced builds nothing uses.
export async function rootfsBuild(o: { force?: boolean; json?: boolean }): Promise<number> {
  const info = o.json
    ? await ensureRootfs({ force: Boolean(o.force) })
    : await (
        await import('../ui/ci/rootfs-reporter.js')
      ).withBuildProgress('root filesystem', (progress) =>
        ensureRootfs({ force: Boolean(o.force), onProgress: progress }),
      );
  const old = info.old ?? collectOldBuilds();
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ ...info, old }, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(
    `${info.built ? 'built' : 'cached'}: ${info.build} ${mib(info.sizeBytes)} at ${info.path}${info.built ? ` in ${(info.buildMs / 1000).toFixed(0)} s` : ''}\n`,
  );
  process.stdout.write(oldBuildLines(old));
  return 0;
}

// What happened to builds a newer one replaced, one line each.
export function oldBuildLines(old: OldBuilds): string {
  return [
    ...old.removed.map((b) => `removed replaced root filesystem build ${b}: nothing uses it any more\n`),
    ...old.kept.map((k) => `kept replaced root filesystem build ${k.build}: in use by ${k.users.join(', ')}\n`),
    ...old.failed.map((f) => `could not remove replaced root filesystem build ${f.build}: ${f.reason}\n`),
  ].join('');
}

// The words of a check: healthy, damaged (and what), or not verifiable.
function checkLine(c: BuildCheck): string {
  if (c.state === 'healthy')
    return `    verified: every one of its ${c.checked} files, folders and links matches its manifest\n`;
  if (c.state === 'unverifiable')
    return `    not verified: ${c.problems.join(', ')}; \`lab rootfs build --force\` rebuilds it with one\n`;
  return `    DAMAGED: ${c.problems.join('; ')}\n    the next run rebuilds it (or now: \`lab rootfs build --force\`)\n`;
}

// Says what is cached, how big, whether it matches the recipe and its manifest (exit 3 if the current build
// is damaged), and who still uses a replaced build.
export function rootfsStatus(o: { json?: boolean }): number {
  const { hash, recipe } = currentRecipe();
  const s = cacheStatus();
  const { cache } = rootfsPaths();
  const replaced = replacedBuilds();
  const mounts = replaced.length ? readMounts() : { tables: [], unreadable: [] };
  const users = new Map(replaced.map((b) => [b.build, buildUsers(b.path, mounts, livePins(cache, b.build))]));
  const current = s.builds.filter((b) => b.hash === hash && !users.has(b.build)).pop();
  const check = current ? verifyBuild(current) : undefined;
  const code = check?.state === 'damaged' ? EXIT.environment : EXIT.pass;
  if (o.json) {
    const builds = s.builds.map((b) => ({
      ...b,
      replaced: users.has(b.build),
      ...(users.has(b.build) ? { usedBy: users.get(b.build)?.users } : {}),
      ...(b === current && check ? { check } : {}),
    }));
    process.stdout.write(`${JSON.stringify({ current: hash, cache, builds, partial: s.partial }, null, 2)}\n`);
    return code;
  }
  process.stdout.write(
    `recipe: ${recipe.suite} ${recipe.variant} + ${recipe.packages.join(' ')} -> ${hash}\ncache: ${cache}\n`,
  );
  if (!s.builds.length)
    process.stdout.write('nothing cached yet; `lab rootfs build` builds it (about 30 s with a nearby mirror)\n');
  for (const b of s.builds) {
    const u = users.get(b.build);
    const what =
      b.hash !== hash
        ? '(old recipe)'
        : u
          ? `(replaced; ${u.users.length ? `in use by ${u.users.join(', ')}` : u.unknown.length ? 'cannot tell who uses it (run as root)' : 'unused: `lab rootfs build` removes it'})`
          : '(current)';
    process.stdout.write(
      `${b.hash === hash && !u ? '* ' : '  '}${b.build}  ${mib(b.sizeBytes)}  built ${b.builtAt} in ${(b.buildMs / 1000).toFixed(0)} s  ${what}\n`,
    );
    if (b === current && check) process.stdout.write(checkLine(check));
  }
  for (const p of s.partial)
    process.stdout.write(
      `  ${p}  ${p.startsWith('.trash-') ? 'interrupted removal' : 'unfinished build'} (ignored; removed by the next build)\n`,
    );
  return code;
}
