#!/usr/bin/env bash
# Runs on the GPU machine (device tool, carry [".devrt"], after bench/gpu-pack.sh here):
#   1. device facts (nvidia-smi, driver, cuBLAS libraries present)      -> $OUT/device-info.txt
#   2. the CUDA tests (org.mrine.backend.cuda, emulation off) with the
#      JUnit console launcher                                            -> $OUT/gpu-tests.log, $OUT/gpu-tests.xml
#   3. the CUDA training-step benchmark (CudaBench, synchronized steps)  -> $OUT/result.json
#   4. `mrine bench --json --backend cuda` where that command exists
#      (at most MRINE_BENCH_TIMEOUT s, default 240), merged into 3       -> $OUT/mrine-bench.json (+ .err)
# Commit result.json as bench/results/<date>-<device>.json.
# usage: bash bench/gpu-run.sh            (OUT must be set; at most 8 files land in it)
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
: "${OUT:?set OUT to the output folder}"
tar xzf .devrt/jre.tgz -C /tmp
export PATH=/tmp/jre/bin:$PATH
{
    nvidia-smi -L
    nvidia-smi --query-gpu=name,driver_version,memory.total,compute_cap --format=csv
    echo "--- cuBLAS libraries:"; ls /usr/local/cuda/lib64 2>/dev/null | grep -i cublas
    echo "--- nvcc:"; nvcc --version 2>/dev/null | tail -2
    echo "--- java:"; java -version 2>&1
} > "$OUT/device-info.txt" 2>&1

CP=".devrt/classes:.devrt/test-classes:$(ls .devrt/lib/*.jar | tr '\n' ':')"
FLAGS=(--add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -Xmx16g)
REPORTS=$(mktemp -d)
java "${FLAGS[@]}" -Dmrine.shared=.devrt/shared -Dmrine.cuda.emulation=false \
    -jar .devrt/junit-platform-console-standalone.jar execute --class-path "$CP" \
    --select-package org.mrine.backend.cuda --reports-dir "$REPORTS" --details=tree --disable-banner \
    > "$OUT/gpu-tests.log" 2>&1
echo "junit exit status $?" >> "$OUT/gpu-tests.log"
cp "$REPORTS/TEST-junit-jupiter.xml" "$OUT/gpu-tests.xml" 2>/dev/null

# the CUDA training-step benchmark first (the numbers that matter), then mrine bench (bounded), then merge
java "${FLAGS[@]}" -cp "$CP" org.mrine.backend.cuda.CudaBench --junit-xml "$OUT/gpu-tests.xml" \
    --out "$OUT/result.json" > /dev/null 2>> "$OUT/gpu-tests.log"
if java "${FLAGS[@]}" -cp "$CP" org.mrine.cli.Main bench --help > /dev/null 2>&1; then
    timeout "${MRINE_BENCH_TIMEOUT:-240}" java "${FLAGS[@]}" -cp "$CP" org.mrine.cli.Main bench --json --backend cuda \
        > "$OUT/mrine-bench.json" 2> "$OUT/mrine-bench.err"
    echo "mrine bench exit status $? (124: timed out)" >> "$OUT/mrine-bench.err"
    java "${FLAGS[@]}" -cp "$CP" org.mrine.backend.cuda.CudaBench --base "$OUT/result.json" --bench-json "$OUT/mrine-bench.json" \
        --junit-xml "$OUT/gpu-tests.xml" --out "$OUT/result.json" > /dev/null 2>> "$OUT/gpu-tests.log"
fi
tail -20 "$OUT/gpu-tests.log"
cat "$OUT/result.json"
