// Where things are: the repository root, its labs, and the compiled copies the runner loads.
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';

// Repository root (this file is dist/src/engine/paths.js once built).
export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
export const LABS_DIST = join(ROOT, 'dist', 'labs');
export const LABS_SRC = join(ROOT, 'labs');

// A path as the user knows it: relative to the repository, and the .ts source rather than the build.
export function displayPath(p: string): string {
  const rel = relative(ROOT, p);
  if (rel.startsWith('..')) return p;
  return rel.startsWith('dist/') ? rel.slice(5).replace(/\.js$/, '.ts') : rel;
}

// Compiled module for a .ts source under the repository.
export function compiledPath(src: string): string {
  const rel = relative(ROOT, src);
  if (rel.startsWith('..') || rel.startsWith('dist/')) return src;
  return join(ROOT, 'dist', rel.replace(/\.ts$/, '.js'));
}
