#!/usr/bin/env bash
# After tsc: copies the files tsc does not emit (the Perl scripts) into the build, and removes compiled
# modules whose source is gone (a deleted lab must not stay listed from its old .js).
# Usage: bash scripts/build-assets.sh OUTDIR   (run from the project folder)
set -euo pipefail
out=${1:?usage: build-assets.sh OUTDIR}
sources=(src labs test fixtures/labs bench)
while IFS= read -r -d '' f; do
  mkdir -p "$out/${f%/*}"
  cp "$f" "$out/$f"
done < <(find "${sources[@]}" -name '*.pl' -type f -print0 2>/dev/null)
removed=0
while IFS= read -r -d '' f; do
  rel=${f#"$out"/}
  base=${rel%.map}
  base=${base%.js}
  if [[ ! -f $base.ts ]]; then rm -f "$f"; removed=$((removed + 1)); fi
done < <(cd . && find "${sources[@]/#/$out/}" -type f \( -name '*.js' -o -name '*.js.map' \) -not -path '*/serve/web/public/*' -print0 2>/dev/null)
((removed == 0)) || echo "build: removed $removed compiled files whose source is gone" >&2
# The browser pages of `lab serve`: type-checked against the DOM, then bundled (esbuild).
if [[ -d src/ui/serve/web/client ]]; then
  node_modules/.bin/tsc -p src/ui/serve/web/client/tsconfig.json
  node scripts/build-web.mjs "$out"
fi
