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
# (default 450), so the whole run ends within 8 minutes on an H100/H200:
#   facts   nvidia-smi, driver, cuBLAS libraries, nsys                              device-info.txt
#   parity  CudaParityTest: every op against the CPU at small, paper and 800 + 800 sizes, with cuBLAS
#           and with the sgemm kernel, -Dmrine.require=cuda,cublas                  tests-parity.log
#   train   CudaBench train: the training step at paper size, T = 50 and 100 (B = 32), and 800 + 800
#           channels (B = 64, T = 100), synchronized; device memory; a profile by kernel   train.log
#   suite   the rest of the CUDA tests (fixtures, training against the CPU, determinism, one wait per
#           step, kernel images, errors), -Dmrine.require=cuda,cublas              tests-suite.log
#   stream  CudaBench stream: StreamingDecoder.push with the model on the GPU       stream.log
#   bench   mrine bench --json --backend cuda (every figure names its backend)     bench.log
# $OUT holds those six logs, run.log and result.json (8 files: what the device tool brings back):
# {"backend", "device", "driver_cuda", "commit", "date", "machine", "phases": {name: {status, seconds}},
#  "gpu_tests": {"run", "failed", "skipped", "failures"}, "parity", "cuda_train_step", "stream_device",
#  "device_info", and the mrine bench --json object's keys}. Commit it as bench/results/<date>-<device>.json.
set -uo pipefail
SELF="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")"
cd "$(dirname "$SELF")/.."

# ---------------------------------------------------------------- what every phase shares
setup() {
    CP=".devrt/classes:.devrt/test-classes:$(ls .devrt/lib/*.jar | tr '\n' ':')"
    JFLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx16g -Dmrine.shared=.devrt/shared)
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
    "$JAVA" "${JFLAGS[@]}" -cp "$CP" org.mrine.bench.GpuRunResult "$cmd" "$OUT/result.json" "$@" >> "$OUT/run.log" 2>&1
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
        junit suite --select-package org.mrine.backend.cuda --exclude-classname '.*CudaParityTest'
    fi
}

run_stream() {
    "$JAVA" "${JFLAGS[@]}" -cp "$CP" "$BENCH" stream --out "$WORK/stream.json"
}

run_bench() {
    local args=(bench --json --backend cuda)
    # the emulated run checks the script, not speed: the CPU's own scale and serving figures stay out of it
    [ "$EMULATE" = 1 ] && args=(bench --json --quick --backend cpu --no-scale --no-serve)
    "$JAVA" "${JFLAGS[@]}" -XX:+UseParallelGC -Xmn64m -cp "$CP" org.mrine.cli.Main "${args[@]}" > "$WORK/bench.json"
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
    mkdir -p "$OUT"
fi
: "${OUT:?set OUT to the output folder (the device run tool sets it)}"
OUT=$(cd "$OUT" && pwd)
if [ ! -d .devrt/classes ]; then
    echo "gpu-run: .devrt/ is not packed: run bench/gpu-pack.sh first" >&2
    exit 2
fi
rm -f "$OUT/result.json" "$OUT/run.log"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
BUDGET=${MRINE_GPU_RUN_SECONDS:-450}
START=$(date +%s)
if [ -f .devrt/jre.tgz ]; then
    mkdir -p "$WORK/jre" && tar xzf .devrt/jre.tgz -C "$WORK/jre"
    JAVA="$WORK/jre/jre/bin/java"
else
    JAVA=java
fi
export EMULATE OUT WORK JAVA
setup

# phase NAME CAP LOG: runs run_NAME in its own process under min(CAP, what is left) seconds, output to
# $OUT/LOG, status and seconds into the result
phase() {
    local name=$1 cap=$2 log=$3 now left limit t0 rc status secs
    now=$(date +%s)
    left=$((BUDGET - (now - START)))
    limit=$((cap < left ? cap : left))
    if [ "$limit" -lt 10 ]; then
        echo "== $name: skipped, ${left}s of the run's ${BUDGET}s left" | tee -a "$OUT/run.log"
        add phase "$name" "skipped: out of time" 0
        return
    fi
    echo "== $name (at most ${limit}s)" | tee -a "$OUT/run.log"
    t0=$(date +%s.%N)
    timeout -k 10 "$limit" bash "$SELF" --phase "$name" > "$OUT/$log" 2>&1
    rc=$?
    case $rc in
        0) status=ok ;;
        124|137) status="timed out after ${limit}s" ;;
        *) status="exit status $rc" ;;
    esac
    secs=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
    echo "   $status, ${secs}s" | tee -a "$OUT/run.log"
    add phase "$name" "$status" "$secs"
}

add facts "$BACKEND" .devrt/commit.txt
phase facts 30 device-info.txt
add text device_info "$OUT/device-info.txt"

phase parity 120 tests-parity.log
add junit "$WORK/reports-parity/TEST-junit-jupiter.xml"
add parity "$WORK/parity"

phase train 150 train.log
add merge "$WORK/train.json"

phase suite 240 tests-suite.log
add junit "$WORK/reports-suite/TEST-junit-jupiter.xml"

phase stream 60 stream.log
add merge "$WORK/stream.json"

phase bench 150 bench.log
add merge "$WORK/bench.json"

echo "== done in $(( $(date +%s) - START ))s: $OUT/result.json" | tee -a "$OUT/run.log"
grep -h -E "tests (successful|failed|skipped)" "$OUT"/tests-*.log 2>/dev/null
cat "$OUT/result.json"
