#!/usr/bin/env bash
# The streaming figures with the machine to itself and under a load of one busy process per core
# (what an acquisition program, a display and a compiler do to a rig's PC), each with the decoding
# thread as it comes and placed as `mrine serve --pin-cpu N --realtime` places it: four runs of
# `mrine bench --stream --json`, one JSON line each, appended to
# bench/results/<date>-stream-under-load-<cpu>-<cores>core.jsonl with "load", "placement" and "mrine_commit".
#   bench/reference/stream_under_load.sh [CPU=last CPU] [PRIORITY=50]
# SCHED_FIFO needs root or CAP_SYS_NICE (ulimit -r); the busy processes are plain shell loops, stopped at the end.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
cores=$(nproc)
cpu_pin="${1:-$((cores - 1))}"
priority="${2:-50}"
cpu=$(bench/reference/machine_name.sh)
commit=$(git rev-parse --short=7 HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || commit="$commit-dirty"
out="bench/results/$(date +%F)-stream-under-load-$cpu-${cores}core.jsonl"
loads=()
stop_load() { for p in "${loads[@]}"; do kill "$p" 2>/dev/null || true; done; loads=(); }
trap stop_load EXIT
for load in none busy; do
    if [ "$load" = busy ]; then
        for _ in $(seq 1 "$cores"); do (while :; do :; done) & loads+=($!); done
        sleep 1
    fi
    for placement in none "cpu $cpu_pin, SCHED_FIFO $priority"; do
        opts=""
        [ "$placement" = none ] || opts="--pin-cpu $cpu_pin --realtime $priority"
        echo "stream_under_load: load $load, placement $placement ..." >&2
        # shellcheck disable=SC2086 # opts holds several flags
        ./mrine bench --stream --json $opts 2>/dev/null | python3 -c "
import json, sys
d = json.load(sys.stdin)
d['load'] = sys.argv[1]; d['placement'] = sys.argv[2]; d['mrine_commit'] = sys.argv[3]
print(json.dumps(d))" "$load: $([ "$load" = busy ] && echo "$cores busy shell loops" || echo "none")" "$placement" "$commit" | tee -a "$out" | python3 -c "
import json, sys
d = json.loads(sys.stdin.read())
for k, v in d['stream'].items():
    if isinstance(v, dict) and k != 'paper_full_update':
        print(f\"  {k}: p50 {v['p50_us']} us, p99 {v['p99_us']}, p99.9 {v['p999_us']}, max {v['max_us']}\")" >&2
    done
    stop_load
done
echo "$out"
