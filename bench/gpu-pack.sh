#!/usr/bin/env bash
# Prepares .devrt/ for a run of bench/gpu-run.sh on the GPU machine (which has no Java, no Maven and
# no network; the carried tree is limited to 64 MiB): a Java 25 runtime, the built classes and test
# classes as jars, the runtime libraries, JCuda's driver natives (the 24 MB PTX-compiler library
# left out), the JUnit console launcher and the shared fixtures.
# usage (project root, on the build machine): bench/gpu-pack.sh      then carry [".devrt"]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
JDK25=/usr/lib/jvm/temurin-25-jdk-amd64
if [ -d "$JDK25" ] && ! grep -qs '^JAVA_VERSION="25' "${JAVA_HOME:-/nonexistent}/release"; then export JAVA_HOME="$JDK25"; fi
export PATH="$JAVA_HOME/bin:$PATH"
BUILD="${MRINE_BUILD_DIR:-/tmp/build-gpu-pack}"
DEVRT=.devrt
SHARED="${MRINE_SHARED:-../shared}"

[ -f "$DEVRT/jre.tgz" ] || "$SHARED/device/pack-runtime.sh" "$DEVRT"
mvn -q -B -Dmrine.build.dir="$BUILD" -DskipTests test-compile \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$BUILD/gpu-lib" >&2
mvn -q -B -Dmrine.build.dir="$BUILD" dependency:copy \
    -Dartifact=org.junit.platform:junit-platform-console-standalone:6.1.3 -DoutputDirectory="$BUILD/gpu-tools" >&2

rm -rf "$DEVRT/lib" "$DEVRT/shared" "$DEVRT/classes" "$DEVRT/test-classes" "$DEVRT"/*.jar
mkdir -p "$DEVRT/lib" "$DEVRT/shared/fixtures"
# directories, not jars: the packed runtime has no zip file system, which JUnit needs to scan a jar
cp -r "$BUILD/classes" "$DEVRT/classes"
cp -r "$BUILD/test-classes" "$DEVRT/test-classes"
cp "$BUILD/gpu-tools/junit-platform-console-standalone-6.1.3.jar" "$DEVRT/junit-platform-console-standalone.jar"
for j in "$BUILD"/gpu-lib/*.jar; do
    case "$(basename "$j")" in
        jcuda-natives-*)
            # keep only the driver binding (and the runtime one): libJCudaDriver needs nothing but libcuda.so.1
            tmp=$(mktemp -d)
            (cd "$tmp" && unzip -q "$j" 'lib/libJCudaDriver-*' 'lib/libJCudaRuntime-*' && jar cf natives.jar lib)
            cp "$tmp/natives.jar" "$DEVRT/lib/$(basename "$j")"
            rm -rf "$tmp" ;;
        *) cp "$j" "$DEVRT/lib/" ;;
    esac
done
cp "$SHARED"/fixtures/*.safetensors "$DEVRT/shared/fixtures/"
du -sh "$DEVRT" >&2
size=$(du -sm "$DEVRT" | cut -f1)
if [ "$size" -ge 60 ]; then echo "gpu-pack: $DEVRT is ${size} MiB, too close to the 64 MiB the device run carries" >&2; exit 1; fi
