#!/usr/bin/env bash
# Builds the CUDA kernels the backend loads, from every kernels/*.cu:
#   X.fatbin  cubins for every GPU generation below plus PTX for compute_80 (JIT-compiled by the
#             driver on a GPU no cubin fits, including ones newer than this nvcc knows), compressed
#             (--compress-mode=size); the backend loads this (JCudaApi)
#   X.ptx     the same PTX as text, stamped with the hash of its sources (CudaPtxFreshnessTest
#             checks the stamp, the kernel signatures and launch bounds against the Java table):
#               // mrine-source-sha256: <sha256 over the .cu and the local headers it includes>
#               // mrine-nvcc: <nvcc release>
#   fatbin.manifest  one line per module: name, source hash, the fatbin's own sha256, nvcc, targets
#                    (CudaKernelImagesTest checks it against the sources and the files)
# The hash covers, for the .cu and then each included local header in name order, the file's name,
# a NUL byte and its bytes. Run after editing a kernel and commit the .fatbin, .ptx and manifest with
# the .cu. A full build takes a few minutes (nine cubins per module).
# usage: kernels/build.sh [file.cu ...]   (default: all)
set -euo pipefail
export LC_ALL=C
cd "$(dirname "${BASH_SOURCE[0]}")"
NVCC=${NVCC:-nvcc}
version=$("$NVCC" --version | sed -n 's/.*release \([0-9.]*\).*V\([0-9.]*\).*/\2/p')

# cubins for Ampere (sm_80 A100, sm_86 RTX 30xx/A40), Ada (sm_89 RTX 40xx/L40), Hopper (sm_90 H100/H200),
# Blackwell (sm_100 B200, sm_103 B300, sm_110 Thor, sm_120 RTX 50xx/RTX PRO, sm_121 DGX Spark); PTX for the JIT
CUBINS=(80 86 89 90 100 103 110 120 121)
PTX_ARCH=80
targets=""
gencode=()
for a in "${CUBINS[@]}"; do
    gencode+=(-gencode "arch=compute_$a,code=sm_$a")
    targets="$targets,sm_$a"
done
gencode+=(-gencode "arch=compute_$PTX_ARCH,code=compute_$PTX_ARCH")
targets="${targets#,},compute_$PTX_ARCH"

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
touch fatbin.manifest
for cu in "${files[@]}"; do
    cu=$(basename "$cu")
    module="${cu%.cu}"
    hash=$(source_hash "$cu")
    tmp=$(mktemp)
    "$NVCC" -ptx -arch="sm_$PTX_ARCH" -o "$tmp" "$cu"
    { echo "// mrine-source-sha256: $hash"; echo "// mrine-nvcc: $version"; cat "$tmp"; } > "$module.ptx"
    "$NVCC" -fatbin --compress-mode=size "${gencode[@]}" -o "$tmp" "$cu"
    mv "$tmp" "$module.fatbin"
    chmod 644 "$module.fatbin" "$module.ptx"
    line="$module.fatbin $hash $(sha256sum "$module.fatbin" | cut -d' ' -f1) nvcc=$version targets=$targets"
    { grep -v "^$module.fatbin " fatbin.manifest || true; echo "$line"; } | sort > fatbin.manifest.new
    mv fatbin.manifest.new fatbin.manifest
    echo "$module.fatbin ($(wc -c < "$module.fatbin") bytes), $module.ptx"
done
