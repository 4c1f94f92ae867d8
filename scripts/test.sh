#!/usr/bin/env bash
# npm test: set up, snapshot the real machine's network, run every test, then prove it is unchanged.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh || exit $?
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node scripts/root-snapshot.mjs > "$tmp/root-before.json" || exit 70
# Build (or reuse) the containers' root filesystem once, before tests run labs in parallel.
node dist/src/cli/main.js rootfs build || exit $?
{
  npx --no-install ava --tap "$@" 'dist/test/unit/**/*.test.js' 'dist/test/integration/**/*.test.js'
  echo "# ava exit $?"
  LAB_ROOT_SNAPSHOT="$tmp/root-before.json" npx --no-install ava --tap 'dist/test/final/*.test.js'
  echo "# ava exit $?"
} 2>&1 | node scripts/tap-summary.mjs
status=("${PIPESTATUS[@]}")
exit "${status[1]}"
