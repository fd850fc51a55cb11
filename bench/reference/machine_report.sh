#!/usr/bin/env bash
# Issue 16's table for this machine in one command: on each vector width the machine has (its own,
# and AVX2 through -XX:UseAVX=2 where it has AVX-512), `mrine bench --json` (calibrating first where
# this machine and width have no stored choices) and ROUNDS side-by-side rounds with the published
# reference; then one table of the figures against the goals.
#   bench/reference/machine_report.sh MRINE_REPO [ROUNDS=4] [--serve]
# MRINE_REPO: a checkout of github.com/ShanechiLab/mrine; python: /usr/bin/python3 with python3-torch.
# Writes, per width, bench/results/<date>-cpu-<cpu>-<cores>core-<commit>[-avx2].json (mrine bench), and
# appends the rounds to bench/results/<date>-side-by-side-<cpu>-<cores>core.jsonl with "mrine_commit"
# and "run"; prints the table (markdown) on stdout and saves it beside them as ...-report.md.
# --serve keeps mrine bench's live-serving part (Redis, LSL); by default it is skipped.
# Takes about 15 minutes a width on 2 cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo="${1:?usage: bench/reference/machine_report.sh MRINE_REPO [ROUNDS=4] [--serve]}"
rounds="${2:-4}"
serve="--no-serve"
[ "${3:-}" = "--serve" ] && serve=""
[ -d "$repo/model" ] || { echo "machine_report: $repo is not a checkout of ShanechiLab/mrine (no model/)" >&2; exit 2; }

date=$(date +%F)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1 | tr 'A-Z' 'a-z' | sed 's/([^)]*)//g; s/ *cpu *@.*//; s/@.*//; s/[^a-z0-9]\+/-/g; s/^-//; s/-$//')
cores=$(nproc)
commit=$(git rev-parse --short=7 HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || commit="$commit-dirty"
results=bench/results
stem="$results/$date-cpu-$cpu-${cores}core-$commit"
sbs="$results/$date-side-by-side-$cpu-${cores}core.jsonl"
mkdir -p "$results"

widths=(native)
if grep -qw avx512f /proc/cpuinfo && grep -qw avx2 /proc/cpuinfo; then widths+=(avx2); fi

files=()
for w in "${widths[@]}"; do
    if [ "$w" = avx2 ]; then opts="-XX:UseAVX=2"; suffix="-avx2"; else opts=""; suffix=""; fi
    echo "machine_report: $w: mrine bench --json $serve ..." >&2
    MRINE_JAVA_OPTS="$opts" ./mrine bench --json $serve > "$stem$suffix.json.tmp"
    mv "$stem$suffix.json.tmp" "$stem$suffix.json"
    echo "machine_report: $w: $rounds side-by-side rounds ..." >&2
    MRINE_JAVA_OPTS="$opts" bench/reference/side_by_side.sh "$repo" 50 "$rounds" \
        | grep '^{' | python3 -c "
import json, sys
for line in sys.stdin:
    d = json.loads(line)
    d['mrine_commit'] = sys.argv[1]
    d['run'] = sys.argv[2]
    print(json.dumps(d))" "$commit" "machine_report.sh $w, $rounds rounds" >> "$sbs"
    files+=("$w=$stem$suffix.json")
done

python3 - "$sbs" "$commit" "$cpu" "$cores" "${files[@]}" <<'PY' | tee "$stem-report.md"
import json, statistics, sys
sbs, commit, cpu, cores = sys.argv[1:5]
runs = [a.split("=", 1) for a in sys.argv[5:]]
rounds = [json.loads(l) for l in open(sbs) if l.strip()]

def ours(rounds, width):
    opts = "-XX:UseAVX=2" if width == "avx2" else ""
    return [r for r in rounds if r.get("mrine_commit") == commit and r.get("mrine_java_opts", "") == opts
            and r.get("run", "").startswith("machine_report.sh")]

def spread(values):
    return f"{statistics.median(values):.3g} ({min(values):.3g} to {max(values):.3g})"

print(f"# {cpu}, {cores} cores, commit {commit}\n")
print("| figure | " + " | ".join(w for w, _ in runs) + " | goal |")
print("|---|" + "---|" * len(runs) + "---|")
bench = {w: json.load(open(f)) for w, f in runs}
def row(name, cells, goal):
    print(f"| {name} | " + " | ".join(cells) + f" | {goal} |")
row("one core's FMA peak, GFLOP/s (load average at the start)",
    [f"{bench[w]['machine_peak']['fma_gflops_one_core']} ({bench[w]['machine_peak']['load_average_at_start']})" for w, _ in runs], "")
row("CPU choices", [", ".join(f"{k} {v}" for k, v in bench[w]["cpu_tuning"]["choices"].items()) for w, _ in runs], "")
for key, label in (("T50", "training T = 50, ms per sample-step"), ("T100", "training T = 100")):
    row(label, [f"{bench[w]['train'][key]['ms_per_sample_step']} ({bench[w]['train'][key]['ms_per_sample_step_stats']['min']} to "
                f"{bench[w]['train'][key]['ms_per_sample_step_stats']['max']}), share of one core's peak "
                f"{bench[w]['train'][key]['share_of_one_core_peak']}" for w, _ in runs], "")
verdicts = []
def judge(ok, what):
    verdicts.append(("met" if ok else "NOT MET") + ": " + what)
    return "met" if ok else "**not met**"
cells = []
for w, _ in runs:
    rs = ours(rounds, w)
    ref = [r["reference_ms_per_sample_step"] for r in rs]
    cells.append(spread(ref) + f", {len(rs)} rounds" if rs else "no rounds")
row("published reference, T = 50, ms per sample-step", cells, "")
cells, ok = [], True
for w, _ in runs:
    rs = ours(rounds, w)
    ratios = [r["ratio"] for r in rs]
    cells.append(spread(ratios) + "x" if ratios else "no rounds")
    ok = ok and bool(ratios) and statistics.median(ratios) >= 20
row("ratio to the reference, side by side (median, range)", cells, ">= 20x: " + judge(ok, "training >= 20x the reference"))
hc = [bench[w]["train"].get("high_channel") for w, _ in runs]
if all(hc):
    ok2 = all(bench[w]["train"]["high_channel"]["ms_per_sample_step"] <= 2 * bench[w]["train"]["T100"]["ms_per_sample_step"]
              and bench[w]["train"]["high_channel"]["peak_memory_mb"] <= 2048 for w, _ in runs)
    row("`train.high_channel` (800 + 800), ms per sample-step, peak MB",
        [f"{bench[w]['train']['high_channel']['ms_per_sample_step']} "
         f"({bench[w]['train']['high_channel']['ms_per_sample_step'] / bench[w]['train']['T100']['ms_per_sample_step']:.2f}x T = 100), "
         f"{bench[w]['train']['high_channel']['peak_memory_mb']} MB" for w, _ in runs],
        "<= 2x, <= 2 GB: " + judge(ok2, "800 + 800 within 2x and 2 GB"))
    ok3 = all(bench[w]["train"]["calcium_10k"]["peak_memory_mb"] <= 4096 for w, _ in runs)
    row("`train.calcium_10k`, ms per sample-step, peak MB",
        [f"{bench[w]['train']['calcium_10k']['ms_per_sample_step']}, {bench[w]['train']['calcium_10k']['peak_memory_mb']} MB" for w, _ in runs],
        "<= 4 GB: " + judge(ok3, "10,000 channels in 4 GB"))
for key, label, goal in (("paper", "streaming p99, paper size, us", 20), ("high_channel", "streaming p99, 800 + 800, us", 50)):
    okk = all(bench[w]["stream"][key]["p99_us"] <= goal for w, _ in runs)
    row(label, [f"{bench[w]['stream'][key]['p99_us']} (p50 {bench[w]['stream'][key]['p50_us']})" for w, _ in runs],
        f"<= {goal} us: " + judge(okk, label + f" <= {goal}"))
print()
print("bench files: " + ", ".join(f for _, f in runs) + f"; rounds: {sbs}")
print("\n".join("- " + v for v in verdicts))
PY
