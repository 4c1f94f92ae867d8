#!/usr/bin/env bash
# npm run bench: set up, then measure (see bench/run.ts).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
[[ -x /usr/bin/time ]] || echo "bench: /usr/bin/time missing (apt-get install -y time): memory is not measured" >&2
exec node "$root/dist/bench/run.js"
