#!/usr/bin/env bash
# npm test: set up, snapshot the real machine's network, run every test, then prove it is unchanged.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh || exit $?
# The HTML report's test renders pages in Debian's chromium (headless): the one place it is installed.
if ! command -v chromium >/dev/null; then
  [[ $(id -u) == 0 ]] || { echo "test: chromium is missing; run: sudo apt-get install -y chromium" >&2; exit 3; }
  echo "test: installing chromium (for the HTML report's test)"
  { apt-get install -y -qq --no-install-recommends chromium || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; }; } >/dev/null \
    || { echo "test: apt-get install chromium failed; run: apt-get update && apt-get install -y chromium" >&2; exit 3; }
fi
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
