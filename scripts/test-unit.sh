#!/usr/bin/env bash
# npm run test:unit: the tests that need no root, no network namespace and no install; any user can run
# them. Builds first when it can write the project; otherwise tests the build that is there.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 3
[[ -d node_modules ]] || { echo "test:unit: node_modules is missing; run: npm ci" >&2; exit 3; }
if [[ -w . && -w dist || -w . && ! -e dist ]]; then
  npx --no-install tsc -p tsconfig.json && bash scripts/build-assets.sh dist || exit 3
elif [[ ! -d dist/test/unit ]]; then
  echo "test:unit: there is no build and $PWD is not writable; run: npm run build (as the owner of the clone)" >&2
  exit 3
fi
exec npx --no-install ava 'dist/test/unit/**/*.test.js' "$@"
