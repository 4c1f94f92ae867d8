// `lab rootfs build|status`: the containers' root filesystem, built once and cached.
import { cacheStatus, currentRecipe, ensureRootfs, rootfsPaths } from '../sandbox/rootfs.js';
import { withBuildProgress } from '../ui/rootfs-reporter.js';

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;

// Builds (or confirms) the root filesystem for the current recipe.
export async function rootfsBuild(o: { force?: boolean; json?: boolean }): Promise<number> {
  const info = o.json ? await ensureRootfs({ force: Boolean(o.force) }) : await withBuildProgress('root filesystem', (progress) => ensureRootfs({ force: Boolean(o.force), onProgress: progress }));
  if (o.json) process.stdout.write(`${JSON.stringify(info, null, 2)}\n`);
  else process.stdout.write(`${info.built ? 'built' : 'cached'}: ${info.hash} ${mib(info.sizeBytes)} at ${info.path}${info.built ? ` in ${(info.buildMs / 1000).toFixed(0)} s` : ''}\n`);
  return 0;
}

// Says what is cached, how big, and whether it matches the recipe.
export function rootfsStatus(o: { json?: boolean }): number {
  const { hash, recipe } = currentRecipe();
  const s = cacheStatus();
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ current: hash, cache: rootfsPaths().cache, ...s }, null, 2)}\n`);
    return 0;
  }
  process.stdout.write(`recipe: ${recipe.suite} ${recipe.variant} + ${recipe.packages.join(' ')} -> ${hash}\ncache: ${rootfsPaths().cache}\n`);
  if (!s.builds.length) process.stdout.write('nothing cached yet; `lab rootfs build` builds it (about 30 s with a nearby mirror)\n');
  for (const b of s.builds) process.stdout.write(`${b.hash === hash ? '* ' : '  '}${b.hash}  ${mib(b.sizeBytes)}  built ${b.builtAt} in ${(b.buildMs / 1000).toFixed(0)} s${b.hash === hash ? '  (current)' : '  (old recipe)'}\n`);
  for (const p of s.partial) process.stdout.write(`  ${p}  unfinished build (ignored; removed by the next build)\n`);
  return 0;
}
