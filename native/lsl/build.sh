#!/usr/bin/env bash
# Builds liblsl (Lab Streaming Layer, C API) from the vendored source once, into a cache outside the
# repository, and prints the library's path on its last line of stdout. A no-op when cached.
#
#   native/lsl/build.sh            -> /root/.cache/mrine/liblsl/64988c6/liblsl.so
#   MRINE_LSL_LIB=$(native/lsl/build.sh | tail -1) ./mrine serve ...
#
# Source: liblsl 1.17.7 (MIT), ../shared/vendor/liblsl-64988c6.tar.gz beside the repository, or
# MRINE_LSL_SOURCE. Cache: $MRINE_CACHE, else ${XDG_CACHE_HOME:-$HOME/.cache}/mrine.
# Needs cmake, a C++ compiler and pugixml's headers (Debian: apt-get install -y libpugixml-dev);
# about 70 s on 2 cores. Build progress goes to stderr (and to build.log in the cache).
set -euo pipefail

here="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
commit=64988c6
src="${MRINE_LSL_SOURCE:-$repo/../shared/vendor/liblsl-$commit.tar.gz}"
cache="${MRINE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/mrine}/liblsl/$commit"
lib="$cache/liblsl.so"

if [ -f "$lib" ]; then
    echo "$lib"
    exit 0
fi

die() {
    echo "native/lsl/build.sh: $*" >&2
    exit 1
}
[ -f "$src" ] || die "liblsl source $src not found (set MRINE_LSL_SOURCE to liblsl-$commit.tar.gz)"
command -v cmake >/dev/null || die "cmake not found (Debian: apt-get install -y cmake)"
command -v c++ >/dev/null || die "no C++ compiler found (Debian: apt-get install -y g++)"
[ -f /usr/include/pugixml.hpp ] || [ -n "${MRINE_LSL_PUGIXML_OK:-}" ] \
    || die "pugixml headers not found (Debian: apt-get install -y libpugixml-dev)"

mkdir -p "$(dirname "$cache")"
# Two builds at once (parallel test JVMs, two shells) must not race: one builds, the other waits
# and then finds the library.
exec 9>"$(dirname "$cache")/.build-$commit.lock"
flock 9
if [ -f "$lib" ]; then
    echo "$lib"
    exit 0
fi

work="$(mktemp -d "$(dirname "$cache")/.build-$commit.XXXXXX")"
trap 'rm -rf "$work"' EXIT
echo "building liblsl $commit in $work (about 70 s on 2 cores) ..." >&2
{
    tar xzf "$src" -C "$work"
    # upstream asks for CMake 3.28; it builds with Debian 12's 3.25
    sed -i 's/cmake_minimum_required(VERSION 3.28)/cmake_minimum_required(VERSION 3.25)/' "$work/liblsl/cmake/LSLCMake.cmake"
    # pugixml from the system: the default would fetch it from the internet
    cmake -S "$work/liblsl" -B "$work/b" -DCMAKE_BUILD_TYPE=Release -DLSL_UNIXFOLDERS=ON -DLSL_FETCH_PUGIXML=OFF
    cmake --build "$work/b" -j"$(nproc)" --target lsl
} > "$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; die "build failed (log above)"; }

built="$(readlink -f "$work/b/liblsl.so")"
[ -f "$built" ] || die "build produced no liblsl.so"
mkdir -p "$work/out"
cp "$built" "$work/out/liblsl.so"
cp "$work/liblsl/include/lsl_c.h" "$work/liblsl/LICENSE" "$work/build.log" "$work/out/"
cp -r "$work/liblsl/include/lsl" "$work/out/"
rm -rf "$cache"
mv "$work/out" "$cache"
echo "$lib"
