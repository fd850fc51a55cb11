#!/usr/bin/env bash
# Issue 16's table for this machine in one command: on each vector width the machine has (its own,
# and AVX2 through -XX:UseAVX=2 where it has AVX-512), `mrine bench --json` (calibrating first where
# this machine and width have no stored choices) and ROUNDS side-by-side rounds with the published
# reference; then one table of the figures against the goals.
#   bench/reference/machine_report.sh MRINE_REPO [ROUNDS=4] [--serve]
# MRINE_REPO: a checkout of github.com/ShanechiLab/mrine; python: /usr/bin/python3 with python3-torch.
# Writes, per width, bench/results/<date>-cpu-<cpu>-<fFAMILYmMODELsSTEPPING>-<cores>core-<commit>[-avx2].json (mrine bench), and
# appends the rounds to bench/results/<date>-side-by-side-<cpu>-<cores>core.jsonl with "mrine_commit"
# and "run"; on more than 2 cores, the step at 1, 2, 4, ... threads (...-threads.jsonl); prints the
# table (markdown) on stdout and saves it beside them as ...-report.md.
# --serve keeps mrine bench's live-serving part (Redis, LSL); by default it is skipped.
# Where the JVM keeps an AVX-512 CPU at AVX2 by default, the second width is AVX-512 (-XX:UseAVX=3).
# The AVX2 width is an AVX2-only machine emulated: the JVM at -XX:UseAVX=2, and the native libraries
# of both sides on their AVX2 kernels too (they pick from the CPU, not from the JVM): OpenBLAS's
# Haswell core (ours and the reference's PyTorch, whose BLAS is the system's), BLIS's haswell
# configuration, oneDNN and ATen at AVX2; calibrated afresh under them (the stored AVX2 choices of an
# AVX-512 machine were measured against its AVX-512 library kernels otherwise).
# Takes about 15 minutes a width on 2 cores.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo="${1:?usage: bench/reference/machine_report.sh MRINE_REPO [ROUNDS=4] [--serve]}"
rounds="${2:-4}"
serve="--no-serve"
[ "${3:-}" = "--serve" ] && serve=""
[ -d "$repo/model" ] || { echo "machine_report: $repo is not a checkout of ShanechiLab/mrine (no model/)" >&2; exit 2; }

date=$(date +%F)
cpu=$(bench/reference/machine_name.sh)
cores=$(nproc)
commit=$(git rev-parse --short=7 HEAD 2>/dev/null || echo unknown)
[ -z "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] || commit="$commit-dirty"
results=bench/results
stem="$results/$date-cpu-$cpu-${cores}core-$commit"
sbs="$results/$date-side-by-side-$cpu-${cores}core.jsonl"
mkdir -p "$results"

# the JVM the mrine launcher runs: JDK 25 unless JAVA_HOME is one
JDK25=/usr/lib/jvm/temurin-25-jdk-amd64
if [ -d "$JDK25" ] && ! grep -qs '^JAVA_VERSION="25' "${JAVA_HOME:-/nonexistent}/release"; then java="$JDK25/bin/java"; else java="${JAVA_HOME:+$JAVA_HOME/bin/}java"; fi

widths=(native)
if grep -qw avx512f /proc/cpuinfo && grep -qw avx2 /proc/cpuinfo; then
    # HotSpot keeps some AVX-512 CPUs at AVX2 unless told otherwise (Skylake-SP steppings before 5):
    # there its own width is AVX2 already, and AVX-512 (-XX:UseAVX=3) is the other one to measure
    jvm_avx=$("$java" -XX:+PrintFlagsFinal -version 2> /dev/null | awk '$2 == "UseAVX" {print $4}')
    if [ "${jvm_avx:-3}" -ge 3 ]; then widths+=(avx2); else widths+=(avx512); fi
fi

files=()
for w in "${widths[@]}"; do
    if [ "$w" = avx2 ]; then
        opts="-XX:UseAVX=2"; suffix="-avx2"
        # BLIS 0.9 reads its arch_t number (3: haswell); bench's cpu_tuning.blas_kernels shows what ran
        export OPENBLAS_CORETYPE=Haswell BLIS_ARCH_TYPE=3 ONEDNN_MAX_CPU_ISA=AVX2 ATEN_CPU_CAPABILITY=avx2
        echo "machine_report: $w: calibrating on the AVX2 kernels ..." >&2
        MRINE_JAVA_OPTS="$opts" ./mrine tune > /dev/null
    elif [ "$w" = avx512 ]; then
        opts="-XX:UseAVX=3"; suffix="-avx512"
        unset OPENBLAS_CORETYPE BLIS_ARCH_TYPE ONEDNN_MAX_CPU_ISA ATEN_CPU_CAPABILITY
        echo "machine_report: $w: calibrating with 512-bit vectors ..." >&2
        MRINE_JAVA_OPTS="$opts" ./mrine tune > /dev/null
    else
        opts=""; suffix=""
    fi
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

python3 bench/reference/machine_table.py "$sbs" "$commit" "$cpu" "$cores" "${files[@]}" > "$stem-report.md.tmp"

# the step at 1, 2, 4, ... threads up to every core (this machine's width, its stored choices otherwise),
# a fresh JVM per count: checks the count mrine tune chose from the same step timed in one JVM
if [ "$cores" -gt 2 ]; then
    echo "machine_report: the step at 1, 2, 4, ... $cores threads ..." >&2
    scaling="$stem-threads.jsonl"
    : > "$scaling"
    n=1
    while :; do
        "$java" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmn64m -XX:+UseCountedLoopSafepoints -XX:LoopStripMiningIter=1000 -Dmrine.threads=$n \
            -cp "target/mrine-0.1.0-SNAPSHOT.jar:target/lib/*" org.mrine.bench.TrainStepProcess paper 32 50 4 3 0 "$n" 2> /dev/null \
            | grep '^{' | python3 -c "import json, sys; d = json.loads(sys.stdin.read()); d['threads'] = $n; print(json.dumps(d))" >> "$scaling"
        [ "$n" -lt "$cores" ] || break
        n=$((2 * n > cores ? cores : 2 * n))
    done
    python3 - "$scaling" >> "$stem-report.md.tmp" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
best = min(rows, key=lambda r: r["ms_per_sample_step"])
print("\n| threads | training T = 50, ms per sample-step |\n|---|---|")
for r in rows:
    print(f"| {r['threads']} | {r['ms_per_sample_step']}{' (fastest)' if r is best else ''} |")
print(f"\nthe step by thread count: {sys.argv[1]}")
PY
fi
mv "$stem-report.md.tmp" "$stem-report.md"
cat "$stem-report.md"
