#!/usr/bin/env bash
# The training step of the published reference (PyTorch) and of this engine, side by side: ROUNDS
# rounds, each timing the reference (time_reference.py) and then ours (a fresh JVM, as in mrine
# bench) at the same size, so both see the same machine and the same neighbours. Prints one JSON
# line per round and the median ratio at the end. Where torch's default is several threads, the
# reference is timed at one thread too and its faster count is the one compared.
#   bench/reference/side_by_side.sh MRINE_REPO [STEPS=50] [ROUNDS=3] [TORCH_THREADS=0]
# MRINE_REPO: a checkout of github.com/ShanechiLab/mrine; python: /usr/bin/python3 with python3-torch.
# MRINE_JAVA_OPTS goes to our JVM (and to mrine tune), e.g. -XX:UseAVX=2 for an AVX2-only machine's
# 16 vector registers of 256 bits (the reference's PyTorch reports its own "CPU capability").
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
repo="$1"; steps="${2:-50}"; rounds="${3:-3}"; threads="${4:-0}"
JDK25=/usr/lib/jvm/temurin-25-jdk-amd64
if [ -d "$JDK25" ] && ! grep -qs '^JAVA_VERSION="25' "${JAVA_HOME:-/nonexistent}/release"; then export JAVA_HOME="$JDK25"; fi
export PATH="$JAVA_HOME/bin:$PATH"
# builds the jar when needed; on a machine's first run (for these JVM flags) calibrates, as the mrine
# launcher's first training would: the child JVMs below read the stored choices but do not calibrate
if ./mrine tune --show | grep -q '"source":"defaults"'; then ./mrine tune > /dev/null; fi
cp="target/mrine-0.1.0-SNAPSHOT.jar:target/lib/*"
ratios=()
for r in $(seq 1 "$rounds"); do
    ref=$(/usr/bin/python3 bench/reference/time_reference.py --mrine-repo "$repo" --steps "$steps" --warmup 1 --repeats 3 --threads "$threads")
    # torch's default thread count is not always its fastest here (on the 2-core AMD EPYC two threads
    # took twice as long as one): where the default is several threads, one thread too, and the faster counts
    also=""
    if [ "$threads" = 0 ] && [ "$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['torch_threads'])" "$ref")" -gt 1 ]; then
        one=$(/usr/bin/python3 bench/reference/time_reference.py --mrine-repo "$repo" --steps "$steps" --warmup 1 --repeats 3 --threads 1)
        also=$(python3 -c "import json,sys; d,o=json.loads(sys.argv[1]),json.loads(sys.argv[2]); print(', \"reference_ms_default_threads\": %s, \"reference_ms_one_thread\": %s' % (d['ms_per_sample_step'], o['ms_per_sample_step']))" "$ref" "$one")
        ref=$(python3 -c "import json,sys; d,o=json.loads(sys.argv[1]),json.loads(sys.argv[2]); print(sys.argv[1] if d['ms_per_sample_step'] <= o['ms_per_sample_step'] else sys.argv[2])" "$ref" "$one")
    fi
    # shellcheck disable=SC2086 # MRINE_JAVA_OPTS holds several flags
    ours=$(java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -XX:+UseParallelGC -Xmn64m -XX:+UseCountedLoopSafepoints -XX:LoopStripMiningIter=1000 ${MRINE_JAVA_OPTS:-} \
        -cp "$cp" org.mrine.bench.TrainStepProcess paper 32 "$steps" 10 5 0 "$(nproc)" 2>/dev/null)
    refMs=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['ms_per_sample_step'])" "$ref")
    ourMs=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['ms_per_sample_step'])" "$ours")
    ratio=$(python3 -c "print(round($refMs / $ourMs, 2))")
    torchCpu=$(python3 -c "import json,sys; print(json.loads(sys.argv[1]).get('torch_cpu_capability', 'unknown'))" "$ref")
    torchThreads=$(python3 -c "import json,sys; print(json.loads(sys.argv[1])['torch_threads'])" "$ref")
    ratios+=("$ratio")
    echo "{\"round\": $r, \"steps\": $steps, \"load_average\": $(cut -d' ' -f1 /proc/loadavg), \"reference_ms_per_sample_step\": $refMs, \"mrine_ms_per_sample_step\": $ourMs, \"ratio\": $ratio, \"torch_cpu_capability\": \"$torchCpu\", \"torch_threads\": $torchThreads$also, \"mrine_java_opts\": \"${MRINE_JAVA_OPTS:-}\", \"openblas_coretype\": \"${OPENBLAS_CORETYPE:-}\"}"
done
python3 -c "import statistics,sys; print('median ratio over', len(sys.argv)-1, 'rounds:', statistics.median(map(float, sys.argv[1:])))" "${ratios[@]}"
