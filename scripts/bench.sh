#!/usr/bin/env bash
# npm run bench: set up, make sure the containers' root filesystem is built, then measure (see bench/run.ts).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
[[ -x /usr/bin/time ]] || echo "bench: /usr/bin/time missing (apt-get install -y time): CPU and memory are not measured" >&2
# lab 03 and bench/lab03.sh both need the cached root filesystem; building it is not part of what is timed.
if [[ $(id -u) -eq 0 ]]; then node "$root/dist/src/cli/main.js" rootfs build > /dev/null; fi
exec node "$root/dist/bench/run.js"
