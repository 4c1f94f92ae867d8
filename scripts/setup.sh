#!/usr/bin/env bash
# Makes a fresh clone runnable: Debian packages, npm packages (with the libpcap and node-pty bindings, built
# from source), the build.
# Idempotent. When nothing changed since the last complete setup it decides with shell builtins and one
# find, without a lock. Every failure prints one line, "setup: WHAT failed: WHY; run: WHAT", and exits 3.
# Tests point it elsewhere: LAB_SETUP_DIR (the project), LAB_SETUP_DPKG_STATUS (dpkg's status file),
# LAB_SETUP_SKIP_BUILD=1 (no tsc). The real run uses the defaults.
set -eEuo pipefail
src=${BASH_SOURCE[0]}
[[ $src == */* ]] || src=./$src
self="$(cd "${src%/*}" && pwd)/${src##*/}"
root="${LAB_SETUP_DIR:-${self%/*/*}}"
dpkg_status="${LAB_SETUP_DPKG_STATUS:-/var/lib/dpkg/status}"
say() { printf 'setup: %s\n' "$*" >&2; }
# Seconds since $t0 (microseconds), to one decimal: what each first-use step cost.
took() { local us=$((${EPOCHREALTIME/./} - t0)); printf '%d.%d s' $((us / 1000000)) $((us / 100000 % 10)); }
die() { trap - ERR; printf 'setup: %s\n' "$*" >&2; exit 3; }
# The floor: anything not handled below still says where it failed, and exits 3, not 1.
trap 'die "internal step failed at scripts/setup.sh line $LINENO ($BASH_COMMAND); run: bash -x scripts/setup.sh, and report its output"' ERR
log=""
trap '[[ -z $log ]] || rm -f "$log"' EXIT
cd "$root" 2>/dev/null || die "cannot enter the project folder $root; run: ./lab from a clone of netns-lab"

pkgs=(iproute2 iptables nftables conntrack util-linux mount procps iputils-ping curl netcat-openbsd tcpdump debootstrap libpcap-dev python3 make g++ tmux)
stamp=node_modules/.lab-setup-ok       # written after a complete setup of packages and node_modules
binding=node_modules/pcap/build/Release/pcap_binding.node
sqlite_binding=node_modules/better-sqlite3/build/Release/better_sqlite3.node
build_stamp=dist/.build-stamp

node_bin=$(command -v node || true) # none: Debian's nodejs may do (step 1)

# True when the last complete setup still holds: nothing it depends on changed since.
setup_fresh() {
  [[ -n $node_bin && -f $stamp && -f $binding && ! $self -nt $stamp && ! $node_bin -nt $stamp && ! $dpkg_status -nt $stamp \
     && ! package-lock.json -nt $stamp && -f node_modules/.package-lock.json ]]
}

# True when the build is missing or a source is newer than it.
build_stale() {
  [[ -z ${LAB_SETUP_SKIP_BUILD:-} ]] || return 1
  # The stamp is looked for again after find: a build under way may have swapped dist meanwhile.
  local newer
  newer=$(find src labs test bench fixtures/labs tsconfig.json package.json -newer "$build_stamp" -print -quit 2>/dev/null || true)
  [[ -n $newer || ! -f $build_stamp ]]
}

if setup_fresh && ! build_stale; then exit 0; fi

# One setup at a time (parallel ./lab runs on a fresh clone); bounded, and only when there is work.
exec 9>"$root/.setup.lock"
flock -w 900 9 || die "another setup held $root/.setup.lock for 15 minutes; run: fuser -v $root/.setup.lock, stop it, then ./lab again"

# Runs a command with its output shown and kept in $log, for the diagnosis of a failure.
logged() {
  log=${log:-$(mktemp)}
  "$@" 2>&1 | tee "$log" >&2
}

# The cause of a failed npm ci / npm rebuild, from its output, as "WHY; run: WHAT".
npm_cause() {
  local out=$1 cmd=$2
  if grep -q 'pcap.h: No such file' "$out"; then echo "the libpcap headers are missing; run: apt-get install -y libpcap-dev, then $cmd"
  elif grep -qiE 'gyp (ERR!|info).*(python|Could not find any Python)' "$out"; then echo "node-gyp finds no Python to build the native bindings (pcap, node-pty); run: apt-get install -y python3, then $cmd"
  elif grep -qiE '(make|g\+\+|c\+\+|cc): (not found|No such file)|not found: make' "$out"; then echo "no compiler or make to build the native bindings (pcap, node-pty); run: apt-get install -y make g++, then $cmd"
  elif grep -qiE 'gyp.*(http GET|download|tarball)|node-v[0-9.]+-headers' "$out"; then echo "node-gyp found no Node.js headers and tried to download them; run: install them at /usr/include/node (the nodejs package does) or set nodedir in ~/.npmrc, then $cmd"
  elif grep -qiE 'CERT|certificate|self.signed' "$out"; then echo "TLS to the npm registry failed (CA certificates); run: apt-get install -y ca-certificates, or set cafile in ~/.npmrc, then $cmd"
  elif grep -qiE 'ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ECONNRESET|ETIMEDOUT|ENETUNREACH|network' "$out"; then echo "the npm registry ($(npm config get registry 2>/dev/null || echo '?')) is unreachable; run: check its proxy and registry in ~/.npmrc, then $cmd"
  elif grep -q 'ENOSPC' "$out"; then echo "no space left on the device; run: df -h $root, free some space, then $cmd"
  elif grep -qE 'EACCES|EPERM' "$out"; then echo "permission denied in $root; run: $cmd as the owner of the clone (or as root)"
  elif grep -qE 'gyp ERR!' "$out"; then echo "a native binding (pcap or node-pty) did not build (node-gyp, errors above); run: $cmd, and read its output"
  else echo "see its output above; run: $cmd"
  fi
}

if ! setup_fresh; then
  # 1. Node.js >= 20.19 (read without starting a script: a version string is enough). Missing or too
  # old: Debian's own nodejs when its candidate is new enough (trixie's is 20.19), with the other packages.
  # True when "VERSION" (node's v20.19.0 or Debian's 20.19.2+dfsg-1) is at least 20.19.
  new_enough() {
    [[ ${1#*:} =~ ^v?([0-9]+)\.([0-9]+) ]] || return 1
    local major=${BASH_REMATCH[1]} minor=${BASH_REMATCH[2]}
    ((major > 20 || (major == 20 && minor >= 19)))
  }
  # The version apt would install of a package ("" when none), reading the package lists once more
  # after an update when they are empty (a fresh machine's are).
  apt_candidate() {
    local c
    c=$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p')
    if [[ -z $c || $c == '(none)' ]] && [[ $(id -u) == 0 ]]; then
      apt-get update -qq >/dev/null 2>&1 || true
      c=$(apt-cache policy "$1" 2>/dev/null | sed -n 's/^ *Candidate: //p')
    fi
    [[ $c == '(none)' ]] || printf '%s' "$c"
  }
  node_why=""
  if [[ -z $node_bin ]]; then
    node_why="Node.js is missing"
  else
    version=$("$node_bin" --version 2>/dev/null) || die "Node.js at $node_bin does not run; run: $node_bin --version, and reinstall nodejs"
    [[ $version =~ ^v[0-9]+\.[0-9]+ ]] || die "Node.js at $node_bin reports an odd version '$version'; run: apt-get install nodejs (20.19+)"
    new_enough "$version" || node_why="Node.js >= 20.19 is required, this is $version"
  fi
  if [[ -n $node_why ]]; then
    candidate=$(apt_candidate nodejs)
    new_enough "$candidate" || die "$node_why; run: apt-get install nodejs (20.19+, e.g. from deb.nodesource.com), or see https://nodejs.org"
    say "$node_why: Debian's nodejs $candidate will be installed, with npm"
    pkgs+=(nodejs npm)
  fi

  # 2. Debian packages the runner, its labs and the libpcap build need. dpkg-query exits 1 when one is
  # missing: that is an answer, not a failure.
  command -v dpkg-query >/dev/null || die "dpkg-query not found: this needs Debian bookworm or newer; run: on such a machine, or install: ${pkgs[*]}"
  # Sets $missing to the packages of the list that are not installed, from one dpkg-query.
  missing_pkgs() {
    local listing name status
    declare -A ok=()
    listing=$(dpkg-query -W -f='${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null) || true
    while read -r name status; do if [[ $status == 'install ok installed' ]]; then ok[$name]=1; fi; done <<<"$listing"
    missing=()
    for name in "${pkgs[@]}"; do if [[ -z ${ok[$name]:-} ]]; then missing+=("$name"); fi; done
  }
  missing_pkgs
  if ((${#missing[@]})); then
    uid=$(id -u) || die "id -u failed; run: id -u"
    [[ $uid == 0 ]] || die "missing Debian packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}"
    say "installing Debian packages: ${missing[*]}"
    t0=${EPOCHREALTIME/./}
    # No question, not even about a configuration file the machine changed: keep the machine's own.
    export DEBIAN_FRONTEND=noninteractive
    logged apt-get update -qq || die "apt-get update failed (output above): the mirrors in /etc/apt/sources.list* must be reachable; run: apt-get update"
    logged apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold "${missing[@]}" \
      || die "apt-get install failed (output above); run: apt-get install -y --no-install-recommends ${missing[*]}"
    wanted=("${missing[@]}")
    missing_pkgs
    ((${#missing[@]} == 0)) || die "apt-get install succeeded but these are still not installed: ${missing[*]}; run: apt-get install -y ${missing[*]}"
    say "installed Debian packages ($(took)): ${wanted[*]}"
  fi
  if [[ -n $node_why ]]; then
    node_bin=$(command -v node) || die "nodejs was installed but no node is on PATH; run: apt-get install --reinstall nodejs"
    new_enough "$("$node_bin" --version 2>/dev/null)" || die "the installed Node.js is older than 20.19; run: $node_bin --version"
  fi

  # 3. npm packages, when missing or when the lockfile changed; the pcap binding must load. Native
  # bindings (pcap, better-sqlite3) are compiled here from their sources: no prebuilt binary is downloaded.
  export npm_config_build_from_source=true
  if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
    say "installing npm packages (npm ci)"
    t0=${EPOCHREALTIME/./}
    logged npm ci --no-audit --no-fund || die "npm ci failed: $(npm_cause "$log" 'npm ci')"
    say "installed npm packages ($(took))"
  fi
  if [[ ! -f $binding ]] && ! "$node_bin" -e 'require("pcap")' 2>/dev/null; then
    say "building the libpcap binding (npm rebuild pcap)"
    t0=${EPOCHREALTIME/./}
    logged npm rebuild pcap || die "the pcap binding did not build: $(npm_cause "$log" 'npm rebuild pcap')"
    say "built the libpcap binding ($(took))"
  fi
  if [[ ! -f $sqlite_binding ]] && ! "$node_bin" -e 'require("better-sqlite3")' 2>/dev/null; then
    say "building the SQLite binding (npm rebuild better-sqlite3)"
    t0=${EPOCHREALTIME/./}
    logged npm rebuild better-sqlite3 || die "the SQLite binding did not build: $(npm_cause "$log" 'npm rebuild better-sqlite3')"
    say "built the SQLite binding ($(took))"
  fi
  [[ -d node_modules ]] || die "npm ci left no node_modules in $root; run: npm ci"
  touch "$stamp"
fi

# 4. Build when any source is newer than the last build.
if build_stale; then
  say "building (tsc)"
  t0=${EPOCHREALTIME/./}
  # Built beside dist, then swapped in: a run started from the old build keeps finding its files.
  rm -rf dist.next dist.old
  # A type error in a lab module breaks that lab only: tsc still emits it, the errors are listed in
  # dist/labs/.broken (file<TAB>error), and the runner refuses that lab (exit 2) while the others run.
  # An error anywhere else (the runner, its tests) still fails the build.
  tsc_rc=0
  tsc_out=$(npx --no-install tsc -p tsconfig.json --outDir dist.next 2>&1) || tsc_rc=$?
  if [[ $tsc_rc -ne 0 ]]; then
    printf '%s\n' "$tsc_out" >&2
    errs=$(printf '%s\n' "$tsc_out" | grep -E '^[^ ].*\([0-9]+,[0-9]+\): error TS' || true)
    [[ -n $errs ]] || die "the TypeScript build failed (errors above); run: npx tsc -p tsconfig.json"
    if printf '%s\n' "$errs" | grep -vqE '^labs/[0-9]{2}-[a-z0-9-]+\.ts\('; then
      die "the TypeScript build failed (errors above); run: npx tsc -p tsconfig.json"
    fi
    mkdir -p dist.next/labs
    printf '%s\n' "$errs" | sed -E 's/^(labs\/[^(]+)\((.*)$/\1\t\1(\2/' > dist.next/labs/.broken
    say "built, but these labs do not compile and will be refused: $(cut -f1 dist.next/labs/.broken | sort -u | tr '\n' ' ')"
  fi
  # The Perl scripts beside their modules (tsc copies only what it compiles).
  bash "${self%/*}/build-assets.sh" dist.next || die "copying the build's Perl scripts failed; run: npm run build"
  touch "dist.next/${build_stamp#dist/}"
  if [[ -d dist ]]; then mv dist dist.old; fi
  mv dist.next dist
  rm -rf dist.old
  say "built ($(took))"
fi
