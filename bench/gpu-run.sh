#!/usr/bin/env bash
# The one-shot GPU run (issue 14): every phase under its own timeout, each phase's results added to
# $OUT/result.json as soon as it ends, so a phase that hangs or fails loses only itself.
#
#   here:        bench/gpu-pack.sh                  (.devrt/: Java runtime, classes, libraries, fixtures, commit)
#   the device:  run tool, carry [".devrt"], command: bash bench/gpu-run.sh      (OUT is set there)
#   anywhere:    bash bench/gpu-run.sh --emulate [DIR]  the same phases through the kernel emulation at
#                small sizes ("backend": "cuda-emulated"; DIR defaults to target/gpu-run-emulated)
#
# Phases, in order of value; each gets at most its cap and what is left of MRINE_GPU_RUN_SECONDS
# (default 480), so the whole run ends within 9 minutes on an H100/H200:
#   facts   nvidia-smi, driver, cuBLAS libraries, nsys                              device-info.txt
#   parity  CudaParityTest: every op against the CPU at small, paper and 800 + 800 sizes, with cuBLAS
#           and with the sgemm kernel, -Dmrine.require=cuda,cublas                  tests-parity.log
#   train   CudaBench train: the training step at paper size, T = 50 and 100 (B = 32), and 800 + 800
#           channels (B = 64, T = 100), synchronized; device memory; a profile by kernel   train.log
#   suite   the rest of the CUDA tests (fixtures, training against the CPU, determinism, one wait per
#           step, kernel images, errors; --backend cuda and auto in a child JVM that sees no device),
#           -Dmrine.require=cuda,cublas                                              tests-suite.log
#   stream  CudaBench stream: StreamingDecoder.push with the model on the GPU       stream.log
#   bench   mrine bench --json --backend cuda (every figure names its backend)     bench.log
#   cpu     issue 16 on the machine's own CPU, with what time is left: lscpu; mrine tune; the training
#           step side by side with the published reference (carried as .devrt/reference when
#           gpu-pack.sh ran with MRINE_REFERENCE_REPO) on all cores and on two (taskset), the step
#           at 1, 2, 4, ... threads, rounds until the time is up; mrine bench --stream  cpu.log
# MRINE_GPU_RUN_PHASES="cpu" (any of the names) runs only those after facts: a second call of what
# the first had no time left for.
# $OUT holds those seven logs and result.json (8 files: what the device tool brings back; run.log,
# the phases' progress, is copied into result.json's "run_log"):
# {"backend", "device", "driver_cuda", "commit", "date", "machine", "phases": {name: {status, seconds}},
#  "gpu_tests": {"run", "failed", "skipped", "failures"}, "parity", "cuda_train_step", "stream_device",
#  "device_info", "cpu_host" (GpuRunResult cpu), and the mrine bench --json object's keys}. Commit it as bench/results/<date>-<device>.json.
set -uo pipefail
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
cd "$(dirname "$SELF")/.."

# ---------------------------------------------------------------- what every phase shares
setup() {
    CP=".devrt/classes:.devrt/test-classes:$(ls .devrt/lib/*.jar | tr '\n' ':')"
    JFLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx16g -Dmrine.shared=.devrt/shared)
    # the training launcher's collector and loop flags (./mrine explains them)
    TRAIN_GC=(-XX:+UseParallelGC -Xmn64m -XX:+UseCountedLoopSafepoints -XX:LoopStripMiningIter=1000)
    if [ "$EMULATE" = 1 ]; then
        BACKEND=cuda-emulated
        REQUIRE=(-Dmrine.require=emulation)
        BENCH=org.mrine.backend.cuda.EmulatedCudaBench
    else
        BACKEND=cuda
        REQUIRE=(-Dmrine.require=cuda,cublas -Dmrine.cuda.emulation=false)
        BENCH=org.mrine.bench.CudaBench
    fi
}

# the result file: GpuRunResult CMD RESULT ARGS...
add() {
    local cmd=$1
    shift
    "$JAVA" "${JFLAGS[@]}" -cp "$CP" org.mrine.bench.GpuRunResult "$cmd" "$OUT/result.json" "$@" 2>&1 \
        | grep -v '^WARNING: Using incubator modules' >> "$RUNLOG"
}

# the JUnit console launcher on the packed classes; its XML report under $WORK/reports-NAME
junit() {
    local name=$1
    shift
    "$JAVA" "${JFLAGS[@]}" "${REQUIRE[@]}" -Dmrine.parity.report="$WORK/parity" \
        -jar .devrt/junit-platform-console-standalone.jar execute --class-path "$CP" "$@" \
        --reports-dir "$WORK/reports-$name" --details=tree --disable-banner --disable-ansi-colors
}

# ---------------------------------------------------------------- the phases (each runs in its own process)
run_facts() {
    if [ "$EMULATE" = 1 ]; then
        echo "CUDA emulation: kernels/*.cu compiled with g++ and run on the CPU ($(nproc) cores)"
        g++ --version | head -1
    else
        nvidia-smi -L
        nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap,clocks.max.sm --format=csv
        echo "--- cuBLAS libraries:"
        ls /usr/local/cuda/lib64 2>/dev/null | grep -i cublas || ldconfig -p | grep -i cublas
        echo "--- nvcc:"
        nvcc --version 2>/dev/null | tail -2
        echo "--- nsys: $(command -v nsys || echo none)"
    fi
    echo "--- java:"
    "$JAVA" -version 2>&1
}

run_parity() {
    if [ "$EMULATE" = 1 ]; then
        junit parity --select-method org.mrine.backend.cuda.CudaParityTest#emulatedDeviceMatchesTheCpu
    else
        junit parity --select-method org.mrine.backend.cuda.CudaParityTest#deviceWithCublasMatchesTheCpu \
            --select-method org.mrine.backend.cuda.CudaParityTest#deviceWithTheSgemmKernelMatchesTheCpu
    fi
}

run_train() {
    "$JAVA" "${JFLAGS[@]}" -cp "$CP" "$BENCH" train --out "$WORK/train.json"
}

run_suite() {
    if [ "$EMULATE" = 1 ]; then
        junit suite --select-class org.mrine.backend.cuda.CudaLaunchTest --select-class org.mrine.backend.cuda.CudaKernelImagesTest \
            --select-method org.mrine.backend.cuda.CudaHostSyncTest#aTrainingStepWaitsForTheDeviceOnce \
            --select-method org.mrine.backend.cuda.CudaErrorsTest#syncingEveryLaunchNamesTheKernelThatFailed
    else
        # and BackendUnavailableTest: a JVM with the driver but no visible device (CUDA_VISIBLE_DEVICES empty)
        junit suite --select-package org.mrine.backend.cuda --exclude-classname '.*CudaParityTest' \
            --select-class org.mrine.cli.BackendUnavailableTest
    fi
}

run_stream() {
    "$JAVA" "${JFLAGS[@]}" -cp "$CP" "$BENCH" stream --out "$WORK/stream.json"
}

run_bench() {
    local args=(bench --json --backend cuda)
    # the emulated run checks the script, not speed: the CPU's own scale and serving figures stay out of it
    [ "$EMULATE" = 1 ] && args=(bench --json --quick --backend cpu --no-scale --no-serve)
    "$JAVA" "${JFLAGS[@]}" "${TRAIN_GC[@]}" -cp "$CP" org.mrine.cli.Main "${args[@]}" > "$WORK/bench.json"
}

# issue 16 on this machine's CPU: its files in $WORK/cpu, assembled by GpuRunResult cpu (CpuHostResult).
# Each file is written whole (temporary name, then renamed), so a phase stopped by its timeout keeps
# every round it finished. Ours: TrainStepProcess as side_by_side.sh runs it (fresh JVM, the stored
# choices). The reference at two thread counts, each round: torch's default is not always its best.
run_cpu() {
    local dir="$WORK/cpu" all py="" two=""
    local java=("$JAVA" --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED "${TRAIN_GC[@]}" -cp "$CP")
    all=$(nproc)
    mkdir -p "$dir"
    # which cores CPUs 0 and 1 (the two-core rounds) belong to: two cores, or one core's two hyper-threads
    { lscpu | grep -v '^Flags'; echo "Vector: $(grep -o -w -E 'avx512f|avx2|fma' /proc/cpuinfo | sort -u | tr '\n' ' ')"
      lscpu -e=CPU,CORE,SOCKET,NODE | head -3; } > "$dir/lscpu.txt"
    cat "$dir/lscpu.txt"
    if [ ! -d .devrt/reference/model ]; then
        echo "not carried: bench/gpu-pack.sh packs it from MRINE_REFERENCE_REPO (a checkout of ShanechiLab/mrine)" > "$dir/reference-missing.txt"
    else
        for p in python3 /usr/bin/python3; do
            if "$p" -c 'import torch' 2> /dev/null; then py=$p; break; fi
        done
        [ -n "$py" ] || echo "no python3 with torch on this machine" > "$dir/reference-missing.txt"
    fi
    # save FILE CMD...: CMD's stdout into FILE, whole or not at all
    save() {
        local f=$1
        shift
        "$@" > "$f.tmp" && mv "$f.tmp" "$f"
    }
    # side CORES N "TORCH_THREADS..." [PREFIX...]: round N on CORES cores, the reference then ours
    side() {
        local cores=$1 n=$2 threads=$3 t
        shift 3
        if [ -n "$py" ]; then
            for t in $threads; do
                save "$dir/ref-$cores-$n-t$t.json" "$@" "$py" bench/reference/time_reference.py --mrine-repo .devrt/reference \
                    --steps 50 --warmup 1 --repeats 3 --threads "$t"
            done
        fi
        save "$dir/ours-$cores-$n.json" "$@" "${java[@]}" org.mrine.bench.TrainStepProcess paper 32 50 6 5 0 "$cores"
        echo "round $n on $cores cores:"
        head -c 300 "$dir/ref-$cores-$n"-t*.json "$dir/ours-$cores-$n.json" 2> /dev/null
        echo
    }
    if [ "$EMULATE" = 1 ]; then
        # the plumbing at a small size: one round of ours on the stored (or default) choices, no tune
        save "$dir/ours-$all-1.json" "${java[@]}" org.mrine.bench.TrainStepProcess paper 4 10 0.5 1 0 "$all"
        save "$dir/threads-1.json" "${java[@]}" -Dmrine.threads=1 org.mrine.bench.TrainStepProcess paper 4 10 0.5 1 0 1
        return
    fi
    local t0 took
    save "$dir/tune-$all.json" "${java[@]}" org.mrine.cli.Main tune
    t0=$(date +%s)
    side "$all" 1 "0 1"
    took=$(($(date +%s) - t0))
    save "$dir/stream.json" "${java[@]}" org.mrine.cli.Main bench --json --stream
    # two cores, as the 2-core machines of bench/README (their own calibration: it is stored per core
    # count), where a calibration and a round still fit
    if [ "$all" -gt 2 ] && command -v taskset > /dev/null && [ $(($(date +%s) + took + 40)) -lt "${PHASE_END:-0}" ]; then
        two=(taskset -c 0,1)
        save "$dir/tune-2.json" "${two[@]}" "${java[@]}" org.mrine.cli.Main tune
        t0=$(date +%s)
        side 2 1 "1 2" "${two[@]}"
        took=$((took + $(date +%s) - t0))
    fi
    # the step at every core's thread, half as many, a quarter, ... one, a fresh JVM per count: checks
    # the count mrine tune chose from the same step timed in turns in one JVM (a step's sections, 16
    # row chunks and 65 tracks at most, may not feed many cores). Most threads first, where the
    # answer is; each count while the last one's time fits twice.
    if [ "$all" -gt 2 ]; then
        local n=$all last=20
        while [ $(($(date +%s) + 2 * last + 5)) -lt "${PHASE_END:-0}" ]; do
            t0=$(date +%s)
            save "$dir/threads-$n.json" "${java[@]}" -Dmrine.threads=$n org.mrine.bench.TrainStepProcess paper 32 50 4 3 0 "$n"
            last=$(($(date +%s) - t0))
            echo "the step at $n threads ($last s): $(head -c 120 "$dir/threads-$n.json" 2> /dev/null)"
            [ "$n" -gt 1 ] || break
            n=$((n / 2))
        done
    fi
    # more rounds while one more fits in the phase's time (PHASE_END, set by phase()): the phase ends
    # on its own rather than by its timeout
    for n in 2 3 4 5 6 7 8; do
        [ $(($(date +%s) + took + 5)) -lt "${PHASE_END:-0}" ] || break
        t0=$(date +%s)
        side "$all" "$n" "0 1"
        [ -n "$two" ] && side 2 "$n" "1 2" "${two[@]}"
        took=$(($(date +%s) - t0))
    done
}

if [ "${1:-}" = "--phase" ]; then
    setup
    "run_$2"
    exit $?
fi

# ---------------------------------------------------------------- the run
EMULATE=0
if [ "${1:-}" = "--emulate" ]; then
    EMULATE=1
    OUT="${2:-${OUT:-$PWD/target/gpu-run-emulated}}"
fi
: "${OUT:?set OUT to the output folder (the device run tool sets it)}"
mkdir -p "$OUT" && OUT=$(cd "$OUT" && pwd) || { echo "gpu-run: cannot make the output folder $OUT" >&2; exit 2; }
if [ ! -d .devrt/classes ]; then
    echo "gpu-run: .devrt/ is not packed: run bench/gpu-pack.sh first" >&2
    exit 2
fi
rm -f "$OUT/result.json" "$OUT/run.log"
WORK=$(mktemp -d)
RUNLOG="$WORK/run.log"
trap 'rm -rf "$WORK"' EXIT
BUDGET=${MRINE_GPU_RUN_SECONDS:-480}
START=$(date +%s)
if [ -f .devrt/jre.tgz ]; then
    mkdir -p "$WORK/jre" && tar xzf .devrt/jre.tgz -C "$WORK/jre"
    JAVA="$WORK/jre/jre/bin/java"
else
    JAVA=java
fi
export EMULATE OUT WORK JAVA RUNLOG
setup

# phase NAME CAP LOG: runs run_NAME in its own process under min(CAP, what is left) seconds, output to
# $OUT/LOG, status and seconds into the result
phase() {
    local name=$1 cap=$2 log=$3 now left limit t0 rc status secs
    now=$(date +%s)
    left=$((BUDGET - (now - START)))
    limit=$((cap < left ? cap : left))
    if [ "$limit" -lt 10 ]; then
        echo "== $name: skipped, ${left}s of the run's ${BUDGET}s left" | tee -a "$RUNLOG"
        add phase "$name" "skipped: out of time" 0
        return
    fi
    echo "== $name (at most ${limit}s)" | tee -a "$RUNLOG"
    t0=$(date +%s.%N)
    PHASE_END=$(($(date +%s) + limit)) timeout -k 10 "$limit" bash "$SELF" --phase "$name" > "$OUT/$log" 2>&1
    rc=$?
    case $rc in
        0) status=ok ;;
        124|137) status="timed out after ${limit}s" ;;
        *) status="exit status $rc" ;;
    esac
    secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    echo "   $status, ${secs}s" | tee -a "$RUNLOG"
    add phase "$name" "$status" "$secs"
}

add facts "$BACKEND" .devrt/commit.txt
phase facts 30 device-info.txt
add text device_info "$OUT/device-info.txt"

# MRINE_GPU_RUN_PHASES (e.g. "cpu"): only those after facts, as a second, shorter call when device time is left
selected() {
    [ -z "${MRINE_GPU_RUN_PHASES:-}" ] || [[ " $MRINE_GPU_RUN_PHASES " == *" $1 "* ]]
}

if selected parity; then
    phase parity 120 tests-parity.log
    add junit "$WORK/reports-parity/TEST-junit-jupiter.xml"
    add parity "$WORK/parity"
fi
if selected train; then
    phase train 150 train.log
    add merge "$WORK/train.json"
fi
if selected suite; then
    phase suite 240 tests-suite.log
    add junit "$WORK/reports-suite/TEST-junit-jupiter.xml"
fi
if selected stream; then
    phase stream 60 stream.log
    add merge "$WORK/stream.json"
fi
if selected bench; then
    phase bench 150 bench.log
    add merge "$WORK/bench.json"
fi
if selected cpu; then
    phase cpu 240 cpu.log
    add cpu "$WORK/cpu"
fi

echo "== done in $(( $(date +%s) - START ))s: $OUT/result.json" | tee -a "$RUNLOG"
add text run_log "$RUNLOG"
grep -h -E "tests (successful|failed|skipped)" "$OUT"/tests-*.log 2>/dev/null
cat "$OUT/result.json"
