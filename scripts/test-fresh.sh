#!/usr/bin/env bash
# npm run test:fresh: the README's two commands on a fresh Debian bookworm, from a clone of this commit.
# A debootstrap minbase root (cached under $LAB_FRESH_CACHE, default /var/cache/netns-lab) gets this
# machine's Node.js, apt and npm configuration and CA certificates; the clone runs in it inside private
# mount, PID and UTS namespaces, entered with pivot_root. The network namespace stays this machine's (it
# reaches the same registries); nothing outside the work folder is written, no mount outlives the run.
set -uo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${LAB_FRESH_CACHE:-/var/cache/netns-lab}"
say() { printf '# fresh: %s\n' "$*"; }
die() { printf 'test:fresh: %s\n' "$*" >&2; exit 3; }
now_us() { echo "${EPOCHREALTIME/./}"; }
secs() { local us=$(($(now_us) - $1)); printf '%d.%d' $((us / 1000000)) $((us / 100000 % 10)); }

[[ -z ${LAB_FRESH_INSIDE:-} ]] || die "already inside a fresh root: npm test there does not run the fresh test again"
[[ $(id -u) == 0 ]] || die "needs root (debootstrap, namespaces, pivot_root); run: sudo npm run test:fresh"
for t in debootstrap unshare setpriv pivot_root git flock timeout; do
  command -v "$t" >/dev/null || die "missing tool: $t; run: apt-get install -y debootstrap util-linux git coreutils"
done
# The machine's own set-up is not run here (it could install packages): only its build is read.
[[ -f $repo/dist/src/sandbox/rootfs.js ]] || die "no build in $repo/dist; run: npm test (or bash scripts/setup.sh) first"
[[ -z $(git -C "$repo" status --porcelain --untracked-files=no) ]] || say "uncommitted changes are not tested: the clone is of HEAD $(git -C "$repo" rev-parse --short HEAD)"

variant=minbase arch=$(dpkg --print-architecture)
suites=(${LAB_FRESH_SUITES:-bookworm trixie})
mirror=$(node -e 'import(process.argv[1]).then((m) => console.log(m.debianMirror()))' "$repo/dist/src/sandbox/rootfs.js") \
  || die "cannot read the machine's Debian mirror from $repo/dist; run: npx tsc -p tsconfig.json"
suite="" key="" base=""
work=""
inner_pid=""

# Ends the namespaces (their mounts and processes die with them), then removes the work folder.
end_run() {
  if [[ -n $inner_pid ]] && kill -0 "$inner_pid" 2>/dev/null; then
    kill -KILL "$inner_pid" 2>/dev/null
    local deadline=$((SECONDS + 10))
    while kill -0 "$inner_pid" 2>/dev/null && ((SECONDS < deadline)); do wait "$inner_pid" 2>/dev/null; done
  fi
  if [[ -n $work && -d $work ]]; then
    if grep -q " $work/" /proc/self/mountinfo; then
      printf 'test:fresh: something is still mounted below %s; not removing it (run: grep %s /proc/self/mountinfo)\n' "$work" "$work" >&2
    else
      rm -rf "$work"
    fi
  fi
  work=""
}
cleanup() {
  trap - EXIT INT TERM
  end_run
}
trap cleanup EXIT
trap 'say "interrupted"; cleanup; exit 130' INT TERM

# Says why the bare base did not build (the same diagnosis as lab rootfs build), and gives up.
base_failed() {
  local why
  tail -5 "$2.log" >&2
  why=$(tail -40 "$2.log" | node --input-type=module -e 'const { diagnoseRootfsFailure: d } = await import(process.argv[1]);
    const output = (await new Response(process.stdin).text()).split("\n");
    const r = d({ exit: Number(process.argv[3]), output, mirror: process.argv[2] }); console.log(`${r.message}; run: ${r.hint.replace("lab rootfs build", "npm run test:fresh")}`);' \
    "$repo/dist/src/sandbox/rootfs-diagnose.js" "$mirror" "$1") || why="debootstrap exited with $1 (output above)"
  rm -rf "$2" "$2.log"
  die "the bare base: $why"
}

# The bare base: debootstrap minbase, built beside and renamed into place, one builder at a time.
build_base() {
  [[ -f $base/.complete ]] && return 0
  mkdir -p "$cache"
  exec 8>"$cache/.fresh-base-$key.lock"
  flock -w 900 8 || die "another fresh base build held $cache/.fresh-base-$key.lock for 15 minutes; run: fuser -v $cache/.fresh-base-$key.lock"
  [[ -f $base/.complete ]] && return 0
  rm -rf "$cache/.tmp-fresh-base-$key-"*
  local tmp="$cache/.tmp-fresh-base-$key-$$" t0
  t0=$(now_us)
  say "building the bare base: debootstrap --variant=$variant $suite from $mirror"
  mkdir -p "$tmp"
  setpriv --pdeathsig KILL unshare --pid --fork --kill-child --mount --propagation private \
    timeout 900 debootstrap --variant="$variant" "$suite" "$tmp/root" "$mirror" >"$tmp.log" 2>&1 \
    || { base_failed "$?" "$tmp"; }
  rm -f "$tmp.log"
  touch "$tmp/.complete"
  rm -rf "$base"
  mv -T "$tmp" "$base"
  say "bare base built in $(secs "$t0") s: $(du -sh "$base" | cut -f1)"
  exec 8>&-
}

# One suite from zero: its bare base, a prepared copy, the checks inside; adds to passed and failed.
run_suite() {
suite=$1
key=$(printf '%s %s %s %s fresh-base-1\n' "$suite" "$variant" "$arch" "$mirror" | sha256sum | cut -c1-12)
base="$cache/fresh-base-$key"
t_all=$(now_us)
t0=$(now_us)
build_base
t_base=$(secs "$t0")

# A copy of the base for this run, then this machine's Node.js, configuration and a clone.
t0=$(now_us)
# Work folders of runs that were killed (their namespaces died with them), then ours.
for old in "$cache"/run-*; do
  pid=${old#"$cache"/run-}; pid=${pid%%-*}
  [[ -d $old && $pid =~ ^[0-9]+$ ]] && ! kill -0 "$pid" 2>/dev/null && ! grep -q " $old/" /proc/self/mountinfo && rm -rf "$old"
done
work=$(mktemp -d "$cache/run-$$-XXXXXX")
R="$work/root"
cp -a "$base/root" "$R" || die "copying the base into $R failed; run: df -h $cache"
# bookworm's own nodejs (18) is too old: this machine's goes in. trixie's (20.19) is set-up's to install.
if [[ $suite == bookworm ]]; then
  node_bin=$(readlink -f "$(command -v node)")
  prefix=$(dirname "$(dirname "$node_bin")")
  [[ -d $prefix/include/node && -d $prefix/lib/node_modules/npm ]] || die "this machine's Node.js at $prefix lacks include/node or lib/node_modules/npm; run: apt-get install nodejs"
  mkdir -p "$R/usr/lib/node_modules" "$R/usr/include"
  cp -a "$node_bin" "$R/usr/bin/node"
  cp -a "$prefix/lib/node_modules/npm" "$R/usr/lib/node_modules/npm"
  cp -a "$prefix/include/node" "$R/usr/include/node"
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$R/usr/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$R/usr/bin/npx"
fi
# apt: sources (this machine's mirrors, for the suite under test), proxies, keyrings; CA certificates;
# npm configuration; name resolution.
rm -rf "$R/etc/apt" && cp -a /etc/apt "$R/etc/apt"
host_suite=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
if [[ -n $host_suite && $host_suite != "$suite" ]]; then
  find "$R/etc/apt" -maxdepth 2 -type f \( -name '*.list' -o -name '*.sources' \) -exec sed -i -E "s/\b$host_suite(-updates|-security|-backports)?\b/$suite\1/g" {} +
fi
cp -an /usr/share/keyrings/. "$R/usr/share/keyrings/" 2>/dev/null
for p in /etc/ssl /etc/ca-certificates /etc/ca-certificates.conf /usr/share/ca-certificates /usr/local/share/ca-certificates; do
  [[ -e $p ]] && { mkdir -p "$R$(dirname "$p")"; rm -rf "${R:?}$p"; cp -a "$p" "$R$p"; }
done
for f in /etc/npmrc /usr/etc/npmrc /etc/resolv.conf /etc/hosts; do
  [[ -e $f ]] && { mkdir -p "$R$(dirname "$f")"; cp -L "$f" "$R$f"; }
done
[[ -f $HOME/.npmrc ]] && cp "$HOME/.npmrc" "$R/root/.npmrc"
# The clone lives where any user can read it: a test runs the CLI as nobody and expects "needs root".
clone=/srv/netns-lab
git clone -q --no-hardlinks "$repo" "$R$clone" || die "git clone of $repo failed"
git -C "$R$clone" checkout -q --detach "$(git -C "$repo" rev-parse HEAD)"
t_prep=$(secs "$t0")
say "base $t_base s, root prepared in $t_prep s ($work)"

# Enter: private mount, PID and UTS namespaces; pivot_root into the root (bind-mounted onto itself so it
# is a mount point, as / is on a real machine); then the checks run inside (test-fresh-inside.sh).
# This bash stays PID 1 of the namespace (no exec, no timeout in between) because bash reaps the orphans
# it adopts, as init does on a real machine; timeout would leave them as zombies that still look alive.
envs=(PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 TERM=dumb CI=true "LAB_FRESH_CLONE=$clone" "LAB_FRESH_SUITE=$suite"
  "LAB_FRESH_T0=$t_all" "LAB_FRESH_PREP=bare base $t_base s, root prepared $t_prep s")
for v in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY LAB_DEBIAN_MIRROR LAB_FRESH_FULL; do
  [[ -n ${!v:-} ]] && envs+=("$v=${!v}")
done
enter='set -e
R=$1; shift
mount --bind "$R" "$R"
mount -t proc proc "$R/proc"
mount -t sysfs sysfs "$R/sys"
mount --rbind /sys/fs/cgroup "$R/sys/fs/cgroup" # a booted machine has its cgroups mounted: the sandbox limits need them
mount --rbind /dev "$R/dev"
mount -t tmpfs -o mode=755 tmpfs "$R/run"
mount -t tmpfs -o mode=1777 tmpfs "$R/tmp"
hostname "fresh-$LAB_FRESH_SUITE"
cd "$R"; mkdir -p .old-root; pivot_root . .old-root; cd /
umount -l /.old-root; rmdir /.old-root
env -i "$@" bash "${LAB_FRESH_CLONE:?}/scripts/test-fresh-inside.sh"
rc=$?
exit $rc'
out="$work/output"
: >"$out" # before tail follows it: the background job may open it later
setpriv --pdeathsig KILL unshare --mount --pid --uts --fork --kill-child --propagation private \
  env "LAB_FRESH_CLONE=$clone" "LAB_FRESH_SUITE=$suite" bash -c "$enter" enter "$R" "${envs[@]}" >"$out" 2>&1 &
inner_pid=$! # setpriv, then unshare: killing it ends the namespaces and all inside
tail -n +1 -f --pid="$inner_pid" "$out" &
wait "$inner_pid"
rc=$?
inner_pid=""
wait # tail: it ends within a second of the namespaces
# The inside ends with the summary line; if it never got there, that is one failure.
summary=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$out" | tail -1)
if [[ -z $summary ]]; then
  say "$suite: the fresh root ended (exit $rc) before its checks did"
  summary="0 passed, 1 failed"
  ((rc != 0)) || rc=1
fi
read -r p _ f _ <<<"${summary//,/}"
passed=$((passed + p)) failed=$((failed + f))
say "$suite: $summary (exit $rc)"
end_run
return "$rc"
}

passed=0 failed=0 status=0
for suite_name in "${suites[@]}"; do
  say "suite $suite_name"
  run_suite "$suite_name" || status=1
done
echo
echo "$passed passed, $failed failed"
exit "$status"
