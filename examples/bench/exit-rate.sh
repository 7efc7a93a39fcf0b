#!/usr/bin/env bash
# Exits per second of the outloop guest through the whole runtime, on each backend usable here.
# Usage: examples/bench/exit-rate.sh [iterations] [backends, e.g. interp,kvm]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/jdk.sh
trapdoor_find_jdk
"$JAVA_HOME/bin/java" -version 2>/dev/null
mvn -B -q -o -pl runtime test-compile 2>/dev/null || mvn -B -q -pl runtime test-compile
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -cp runtime/target/classes:runtime/target/test-classes \
    dev.trapdoor.bench.ExitRateBenchmark examples/bench/outloop.bin "${1:-300000}" "${2:-interp,kvm}"
