#!/usr/bin/env bash
# Compiles every kernels/*.cu to PTX for sm_90 (JIT-compiled by the driver on newer GPUs) and
# stamps each PTX with the hash of its sources, which CudaPtxFreshnessTest checks:
#   // mrine-source-sha256: <sha256 over the .cu and the local headers it includes>
#   // mrine-nvcc: <nvcc release>
# The hash covers, for the .cu and then each included local header in name order, the file's name,
# a NUL byte and its bytes. Run after editing a kernel and commit the .ptx with the .cu.
# usage: kernels/build.sh [file.cu ...]   (default: all)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "${BASH_SOURCE[0]}")"
NVCC=${NVCC:-nvcc}
version=$("$NVCC" --version | sed -n 's/.*release \([0-9.]*\).*V\([0-9.]*\).*/\2/p')

# local headers a file includes, recursively, one per line
includes() {
    local seen="" todo="$1" next f h
    while [ -n "$todo" ]; do
        next=""
        for f in $todo; do
            for h in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f"); do
                [ -f "$h" ] || continue
                case " $seen " in *" $h "*) ;; *) seen="$seen $h"; next="$next $h" ;; esac
            done
        done
        todo="$next"
    done
    printf '%s\n' $seen | sort -u | sed '/^$/d'
}

source_hash() {
    local cu="$1"
    { printf '%s\0' "$cu"; cat "$cu"; for h in $(includes "$cu"); do printf '%s\0' "$h"; cat "$h"; done; } | sha256sum | cut -d' ' -f1
}

files=("$@")
[ ${#files[@]} -gt 0 ] || files=(*.cu)
for cu in "${files[@]}"; do
    cu=$(basename "$cu")
    ptx="${cu%.cu}.ptx"
    tmp=$(mktemp)
    "$NVCC" -ptx -arch=sm_90 -o "$tmp" "$cu"
    { echo "// mrine-source-sha256: $(source_hash "$cu")"; echo "// mrine-nvcc: $version"; cat "$tmp"; } > "$ptx"
    rm -f "$tmp"
    echo "$ptx"
done
