#!/usr/bin/env bash
# Makes a fresh clone runnable: Debian packages, npm packages (with the libpcap binding), the build.
# Idempotent and quick when nothing changed; ./lab and npm test call it before anything else.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { printf 'setup: %s\n' "$*" >&2; }
die() { printf 'setup: %s\n' "$1" >&2; exit "${2:-3}"; }

# One setup at a time (parallel ./lab runs on a fresh clone).
exec 9>"$root/.setup.lock"
flock 9

# 1. Node.js >= 20.19
command -v node >/dev/null || die "Node.js >= 20.19 is required (apt-get install nodejs, or from nodejs.org)"
node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' \
  || die "Node.js >= 20.19 is required; this is $(node --version)"

# 2. Debian packages the runner, its labs and the libpcap build need.
pkgs=(iproute2 iptables nftables util-linux mount procps iputils-ping curl netcat-openbsd tcpdump debootstrap libpcap-dev python3 make g++)
installed=$(dpkg-query -W -f='${Package} ${Status}\n' "${pkgs[@]}" 2>/dev/null | awk '/ install ok installed$/ {print $1}')
missing=()
for p in "${pkgs[@]}"; do
  grep -qx "$p" <<<"$installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then die "missing Debian packages: ${missing[*]}; run: sudo apt-get install -y ${missing[*]}"; fi
  say "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2 || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 || die "apt-get install failed"
fi

# 3. npm packages, when missing or when the lockfile changed; the pcap binding must load.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  say "installing npm packages (npm ci)"
  npm ci --no-audit --no-fund >&2 || die "npm ci failed"
fi
if [[ ! -f node_modules/pcap/build/Release/pcap_binding.node ]] && ! node -e 'require("pcap")' 2>/dev/null; then
  say "building the libpcap binding (npm rebuild pcap)"
  npm rebuild pcap >&2 || die "the pcap binding does not build; is libpcap-dev installed?"
fi

# 4. Build when any source is newer than the last build.
stamp=dist/.build-stamp
if [[ ! -f $stamp ]] || [[ -n $(find src labs test bench fixtures/labs tsconfig.json package.json -newer "$stamp" -print -quit 2>/dev/null) ]]; then
  say "building (tsc)"
  rm -rf dist
  npx --no-install tsc -p tsconfig.json >&2 || die "build failed" 70
  touch "$stamp"
fi
