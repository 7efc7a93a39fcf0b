#!/usr/bin/env bash
# Random byte streams as code on the interpreter in real mode, ring 0 and ring 3 (with an IDT);
# fails if any stream makes a host exception (INTERNAL_ERROR), printing its seed and bytes.
#
#   scripts/cpu/fuzz.sh [streamsPerMode=10000] [seed=1] [sliceMillis=3]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
export JAVA_HOME=${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}
mvn -B -o -q -pl runtime test-compile
mvn -B -o -q -pl runtime dependency:build-classpath -Dmdep.outputFile="$root/runtime/target/diff-classpath.txt" >/dev/null
cp="runtime/target/test-classes:runtime/target/classes:$(cat runtime/target/diff-classpath.txt)"
exec "$JAVA_HOME/bin/java" -cp "$cp" dev.trapdoor.cpu.diff.FuzzRunner "$@"
