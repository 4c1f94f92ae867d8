// Bundles the browser pages of `lab serve` (src/ui/serve/web/client) with esbuild into
// OUTDIR/src/ui/serve/web/public: one script and one stylesheet per page (xterm included), and the
// pages' HTML. The pages load nothing else, from nowhere else.
// Usage: node scripts/build-web.mjs OUTDIR   (run from the project folder)
import { build } from 'esbuild';
import { copyFileSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const out = process.argv[2];
if (!out) {
  console.error('usage: build-web.mjs OUTDIR');
  process.exit(2);
}
const src = 'src/ui/serve/web/client';
const dest = join(out, 'src/ui/serve/web/public');
rmSync(dest, { recursive: true, force: true });
mkdirSync(dest, { recursive: true });
await build({
  entryPoints: [join(src, 'student.ts'), join(src, 'teacher.ts'), join(src, 'projector.ts')],
  bundle: true,
  format: 'esm',
  target: 'es2022',
  platform: 'browser',
  minify: true,
  sourcemap: false,
  outdir: dest,
  logLevel: 'warning',
  legalComments: 'none',
});
for (const f of readdirSync(src)) if (f.endsWith('.html')) copyFileSync(join(src, f), join(dest, f));
