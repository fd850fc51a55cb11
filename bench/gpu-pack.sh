#!/usr/bin/env bash
# Prepares .devrt/ for bench/gpu-run.sh on the GPU machine (which has no Java, no Maven and no
# network; the tree it gets, .devrt/ included, is limited to 64 MiB): a Java 25 runtime, the built
# classes and test classes, the runtime libraries, JCuda's driver natives (the 24 MB PTX-compiler
# library left out), the JUnit console launcher, the shared fixtures, and the commit they were built
# from (.devrt/commit.txt; the device machine's copy of the tree has no git history); with
# MRINE_REFERENCE_REPO (a checkout of github.com/ShanechiLab/mrine) also the published reference, for
# gpu-run.sh's cpu phase to time side by side on the device machine's CPU (it has PyTorch there).
# usage (project root, on the build machine): [MRINE_REFERENCE_REPO=DIR] bench/gpu-pack.sh      then carry [".devrt"]
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
JDK25=/usr/lib/jvm/temurin-25-jdk-amd64
if [ -d "$JDK25" ] && ! grep -qs '^JAVA_VERSION="25' "${JAVA_HOME:-/nonexistent}/release"; then export JAVA_HOME="$JDK25"; fi
export PATH="$JAVA_HOME/bin:$PATH"
BUILD="${MRINE_BUILD_DIR:-/tmp/build-gpu-pack}"
DEVRT=.devrt
SHARED="${MRINE_SHARED:-../shared}"

if [ ! -f "$DEVRT/jre.tgz" ]; then
    # the runtime ../shared/device/pack-runtime.sh packs (that script writes .git/info/exclude, which a
    # worktree does not have; .devrt/ is in .gitignore): Java 25 with the Vector API, about 28 MB
    mkdir -p "$DEVRT"
    rt=$(mktemp -d)
    "$JAVA_HOME/bin/jlink" --add-modules java.base,java.logging,java.management,java.xml,jdk.unsupported,jdk.incubator.vector \
        --strip-debug --no-header-files --no-man-pages --compress=zip-9 --output "$rt/jre" 2>/dev/null
    tar czf "$DEVRT/jre.tgz" -C "$rt" jre
    rm -rf "$rt"
fi
mvn -q -B -Dmrine.build.dir="$BUILD" -DskipTests test-compile \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$BUILD/gpu-lib" >&2
mvn -q -B -Dmrine.build.dir="$BUILD" dependency:copy \
    -Dartifact=org.junit.platform:junit-platform-console-standalone:6.1.3 -DoutputDirectory="$BUILD/gpu-tools" >&2

rm -rf "$DEVRT/lib" "$DEVRT/shared" "$DEVRT/classes" "$DEVRT/test-classes" "$DEVRT/reference" "$DEVRT"/*.jar
if [ -n "${MRINE_REFERENCE_REPO:-}" ]; then
    if [ ! -d "$MRINE_REFERENCE_REPO/model" ]; then
        echo "gpu-pack: MRINE_REFERENCE_REPO=$MRINE_REFERENCE_REPO is not a checkout of ShanechiLab/mrine (no model/)" >&2
        exit 2
    fi
    mkdir -p "$DEVRT/reference"
    tar -C "$MRINE_REFERENCE_REPO" --exclude=.git -cf - . | tar -C "$DEVRT/reference" -xf -
fi
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
commit=$(git rev-parse HEAD 2>/dev/null || echo unknown)
if [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then commit="$commit (with uncommitted changes)"; fi
echo "$commit" > "$DEVRT/commit.txt"

# what travels: the working tree (tracked and untracked files git does not ignore) and .devrt
devrt=$(du -sb "$DEVRT" | cut -f1)
tree=$(git ls-files -z --cached --others --exclude-standard | xargs -0 du -cb 2>/dev/null | tail -1 | cut -f1)
total=$(( (devrt + tree) / 1048576 ))
echo "gpu-pack: .devrt $((devrt / 1048576)) MiB + working tree $((tree / 1048576)) MiB = $total MiB of the 64 MiB the device run carries; commit $commit" >&2
if [ "$total" -ge 60 ]; then echo "gpu-pack: $total MiB is too close to the 64 MiB the device run carries" >&2; exit 1; fi
