#!/usr/bin/env bash
# npm test: set up, snapshot the real machine's network, run every test, then prove it is unchanged.
set -uo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
bash scripts/setup.sh || exit $?
# Packages only the tests need: Debian's chromium (headless, for the HTML report's and the browser pages'
# tests) and openssl (a self-signed certificate for `lab serve --tls-cert`).
need=()
command -v chromium >/dev/null || need+=(chromium)
command -v openssl >/dev/null || need+=(openssl)
if ((${#need[@]})); then
  [[ $(id -u) == 0 ]] || { echo "test: ${need[*]} missing; run: sudo apt-get install -y ${need[*]}" >&2; exit 3; }
  echo "test: installing ${need[*]} (for the tests)"
  { apt-get install -y -qq --no-install-recommends "${need[@]}" || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}"; }; } >/dev/null \
    || { echo "test: apt-get install ${need[*]} failed; run: apt-get update && apt-get install -y ${need[*]}" >&2; exit 3; }
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
node scripts/root-snapshot.mjs > "$tmp/root-before.json" || exit 70
# Build (or reuse) the containers' root filesystem once, before tests run labs in parallel.
node dist/src/cli/main.js rootfs build || exit $?
# LAB_TESTS: globs of the test files to run instead of all of them (the fresh test's smoke set); the final
# checks of the real machine always run.
read -ra files <<< "${LAB_TESTS:-dist/test/unit/**/*.test.js dist/test/integration/**/*.test.js}"
{
  npx --no-install ava --tap "$@" "${files[@]}"
  echo "# ava exit $?"
  LAB_ROOT_SNAPSHOT="$tmp/root-before.json" npx --no-install ava --tap 'dist/test/final/*.test.js'
  echo "# ava exit $?"
} 2>&1 | node scripts/tap-summary.mjs
status=("${PIPESTATUS[@]}")
exit "${status[1]}"
