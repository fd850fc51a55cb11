#!/usr/bin/env bash
# What mrine's tests need beyond the JDK and Maven, on a fresh Debian/Ubuntu machine: a redis-server
# (the serve tests start their own on a free loopback port) and liblsl, built from the vendored
# source by native/lsl/build.sh (cmake, a C++ compiler, pugixml's headers) once into a cache outside
# the checkout. Installs only what is missing (apt-get, as root or through sudo); a no-op when
# everything is there. Prints the path of liblsl.so on its last line.
set -euo pipefail
here="$(cd -P "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

need=()
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
[ -f /usr/include/pugixml.hpp ] || need+=(libpugixml-dev)
command -v cmake >/dev/null 2>&1 || need+=(cmake)
command -v c++ >/dev/null 2>&1 || need+=(g++)
if [ ${#need[@]} -gt 0 ]; then
    echo "native/deps.sh: installing ${need[*]}" >&2
    sudo=""
    [ "$(id -u)" = 0 ] || sudo=sudo
    $sudo apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >&2
fi
"$here/lsl/build.sh"
