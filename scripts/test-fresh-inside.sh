#!/usr/bin/env bash
# Runs inside the fresh root that test-fresh.sh prepared (PID 1 of its own PID namespace): the README's
# two commands from zero, checked, as TAP ending in "N passed, N failed". Other output is indented.
set -uo pipefail
cd "${LAB_FRESH_CLONE:-/srv/netns-lab}" || exit 3
export LAB_FRESH_INSIDE=1 # test-fresh.sh refuses to run under this: npm test here never recurses into it
pkgs=(iproute2 iptables nftables conntrack util-linux mount procps iputils-ping curl netcat-openbsd tcpdump debootstrap libpcap-dev python3 make g++ tmux)
n=0
ok() { n=$((n + 1)); printf 'ok %d - %s\n' "$n" "$1"; }
notok() { n=$((n + 1)); printf 'not ok %d - %s\n' "$n" "$1"; }
# One TAP line for a command's success.
check() { local d=$1; shift; if "$@" >/dev/null 2>&1; then ok "$d"; else notok "$d"; fi; }
now_us() { echo "${EPOCHREALTIME/./}"; }
secs() { local us=$(($(now_us) - $1)); printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10)); }
# Runs a command with its output indented on ours and kept in a file; returns its exit code.
run_logged() {
  local out=$1; shift
  "$@" 2>&1 | tee "$out" | sed -u 's/^/  | /'
  return "${PIPESTATUS[0]}"
}
# The seconds a setup line reported, e.g. "setup: installed npm packages (12.3 s)".
setup_secs() { sed -n "s/^setup: $1 (\([0-9.]*\) s).*/\1/p" "$2" | head -1; }
installed() { dpkg-query -W -f='${Status}\n' "$@" 2>/dev/null | grep -c '^install ok installed$'; }

main() {
  printf 'TAP version 13\n'
  echo "# fresh: $(. /etc/os-release && echo "$PRETTY_NAME"), node $(node --version 2>/dev/null || echo none), npm $(npm --version 2>/dev/null || echo none), commit $(git rev-parse --short HEAD 2>/dev/null || cat .git/HEAD)"
  local before; before=$(installed iproute2 iptables libpcap-dev tcpdump debootstrap)
  if [[ $before == 0 ]]; then ok 'the fresh root lacks iproute2, iptables, libpcap-dev, tcpdump and debootstrap'; else notok "the fresh root already has $before of iproute2, iptables, libpcap-dev, tcpdump, debootstrap"; fi
  check 'no node_modules, no dist, no root filesystem before the first run' test ! -e node_modules -a ! -e dist -a ! -e rootfs/cache

  # 1. The README's first command, from zero.
  local t0 rc first=/tmp/first.log
  echo '# fresh: ./lab run 03-masquerade --check (first run)'
  t0=$(now_us)
  # Bounded, with room for apt and the native bindings built from source (pcap, node-pty, SQLite) on a slow mirror.
  run_logged "$first" timeout -k 10 1500 ./lab run 03-masquerade --check --reporter plain
  rc=$?
  local t_first; t_first=$(secs "$t0")
  if [[ $rc == 0 ]]; then ok "first ./lab run 03-masquerade --check exits 0 (${t_first} s)"; else notok "first ./lab run 03-masquerade --check exits 0: exit $rc"; fi
  check 'setup said it installs the missing Debian packages' grep -qE '^setup: installing Debian packages: .*iproute2.*iptables.*libpcap-dev' "$first"
  check 'setup said it installed them' grep -q '^setup: installed Debian packages (' "$first"
  local now; now=$(installed "${pkgs[@]}")
  if [[ $now == "${#pkgs[@]}" ]]; then ok "all ${#pkgs[@]} Debian packages setup needs are installed"; else notok "only $now of ${#pkgs[@]} Debian packages are installed"; fi
  if [[ ${LAB_FRESH_SUITE:-} == trixie ]]; then
    check "setup installed Debian's nodejs (20.19+) itself and said so" grep -qE "^setup: Node.js is missing: Debian's nodejs 2[0-9.]+.* will be installed, with npm" "$first"
  fi
  check 'setup ran npm ci and said so' grep -q '^setup: installed npm packages (' "$first"
  check 'the libpcap binding was built' test -f node_modules/pcap/build/Release/pcap_binding.node
  check 'the node-pty binding was built (browser terminals)' test -f node_modules/node-pty/build/Release/pty.node
  check 'setup built the project and said so' grep -q '^setup: built (' "$first"
  check 'the root filesystem was built on first use' grep -q '^rootfs: root filesystem .* ready' "$first"

  local apt npmci pcap tsc rootfs
  apt=$(setup_secs 'installed Debian packages' "$first")
  npmci=$(setup_secs 'installed npm packages' "$first")
  pcap=$(setup_secs 'built the libpcap binding' "$first")
  tsc=$(setup_secs 'built' "$first")
  rootfs=$(node -e 'const fs = require("fs"), p = "rootfs/cache"; for (const d of fs.readdirSync(p)) { try { console.log((JSON.parse(fs.readFileSync(`${p}/${d}/meta.json`, "utf8")).buildMs / 1000).toFixed(1)); } catch {} }' 2>/dev/null | head -1)
  local lab
  lab=$(node -e 'const [t, ...p] = process.argv.slice(1).map(Number); console.log((t - p.reduce((a, b) => a + (b || 0), 0)).toFixed(1))' "$t_first" "${apt:-0}" "${npmci:-0}" "${pcap:-0}" "${tsc:-0}" "${rootfs:-0}")

  # 2. A second run skips all of it.
  local second=/tmp/second.log
  echo '# fresh: ./lab run 03-masquerade --check (second run)'
  t0=$(now_us)
  run_logged "$second" timeout -k 10 300 ./lab run 03-masquerade --check --reporter plain
  rc=$?
  local t_second; t_second=$(secs "$t0")
  if [[ $rc == 0 ]]; then ok "second ./lab run exits 0 (${t_second} s)"; else notok "second ./lab run exits 0: exit $rc"; fi
  if grep -qE '^(setup|rootfs): ' "$second"; then notok 'the second run skips setup and the root filesystem build'; else ok 'the second run skips setup and the root filesystem build'; fi

  # 3. The README's second command, from zero too (its test-only packages, the root snapshot, the final
  # checks). The host's CI runs the whole suite; here a smoke set whose files use what set-up installs
  # (every lab's tools, tmux, tcpdump, chromium, node-pty, SQLite, openssl), unless LAB_FRESH_FULL=1. On
  # trixie (any suite but the first) the unit suite. CI stays well under its time.
  local tests=/tmp/npm-test.log cmd=(npm test) what='npm test (smoke set)'
  local smoke='unit/**/*.test.js integration/{labs,lab-conntrack,lab-bridge-filter,demo,probes,containers,report-diagram,serve-api,serve-browser,serve-tls}.test.js'
  if [[ ${LAB_FRESH_SUITE:-bookworm} != bookworm && -z ${LAB_FRESH_FULL:-} ]]; then cmd=(npm run test:unit -- --tap) what='npm run test:unit'
  elif [[ -n ${LAB_FRESH_FULL:-} ]]; then what='npm test'
  else export LAB_TESTS="dist/test/${smoke// / dist/test/}"; fi
  echo "# fresh: $what"
  t0=$(now_us)
  run_logged "$tests" timeout -k 10 1200 "${cmd[@]}"
  rc=$?
  local t_test; t_test=$(secs "$t0")
  local summary; summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$tests" | tail -1)
  if [[ -z $summary && $what == 'npm run test:unit' ]]; then
    summary="$(grep -cE '^ok [0-9]' "$tests") passed, $(grep -cE '^not ok [0-9]' "$tests") failed"
  fi
  if [[ $rc == 0 && $summary =~ ^[1-9][0-9]*\ passed,\ 0\ failed ]]; then ok "$what passes there: $summary (${t_test} s)"; else notok "$what passes there: exit $rc, ${summary:-no summary line}"; fi

  [[ -z ${LAB_FRESH_T0:-} ]] || echo "# fresh: whole test $(secs "$LAB_FRESH_T0") s (${LAB_FRESH_PREP:-})"
  echo "# fresh timings: apt ${apt:-?} s, npm ci ${npmci:-?} s${pcap:+, pcap rebuild $pcap s}, build ${tsc:-?} s, root filesystem ${rootfs:-?} s, lab ${lab} s; first ./lab run ${t_first} s in all, second ${t_second} s; $what ${t_test} s"
}

# The plain summary in bash: on trixie there is no node until the set-up installs it.
summary() {
  local line passed=0 failed=0
  while IFS= read -r line; do
    printf '%s\n' "$line"
    if [[ $line =~ ^not\ ok\ [0-9] ]]; then failed=$((failed + 1)); elif [[ $line =~ ^ok\ [0-9] ]]; then passed=$((passed + 1)); fi
  done
  printf '\n%d passed, %d failed\n' "$passed" "$failed"
  ((failed == 0 && passed > 0))
}
main 2>&1 | summary
