// After tsc: copies the files tsc does not emit (the Perl scripts) into the build, and removes compiled
// files whose source is gone (a deleted lab must not stay listed from its old .js).
// Usage: node scripts/build-assets.mjs [OUTDIR]   (default dist)
import { copyFileSync, existsSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(root, process.argv[2] ?? 'dist');
const SOURCES = ['src', 'labs', 'test', 'fixtures/labs', 'bench'];
const ASSETS = /\.pl$/;

// Every file under a folder, as paths relative to the project.
function* files(dir) {
  let entries = [];
  try {
    entries = readdirSync(join(root, dir), { withFileTypes: true });
  } catch {
    return;
  }
  for (const e of entries) {
    const p = join(dir, e.name);
    if (e.isDirectory()) yield* files(p);
    else if (e.isFile()) yield p;
  }
}

let copied = 0;
for (const dir of SOURCES) {
  for (const f of files(dir)) {
    if (!ASSETS.test(f)) continue;
    mkdirSync(dirname(join(out, f)), { recursive: true });
    copyFileSync(join(root, f), join(out, f));
    copied++;
  }
}

// A compiled module (and its map) whose .ts source is gone.
let removed = 0;
for (const dir of SOURCES) {
  const built = join(out, dir);
  if (!existsSync(built)) continue;
  for (const f of files(relative(root, built))) {
    const m = /^(.*)\.js(\.map)?$/.exec(relative(out, join(root, f)));
    if (!m || existsSync(join(root, `${m[1]}.ts`))) continue;
    rmSync(join(root, f), { force: true });
    removed++;
  }
}
if (removed) console.error(`build: removed ${removed} compiled files whose source is gone`);
void copied;
