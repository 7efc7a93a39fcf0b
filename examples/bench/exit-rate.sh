#!/usr/bin/env bash
# Exits per second of the outloop guest through the whole runtime, on each backend usable here.
# Usage: examples/bench/exit-rate.sh [iterations] [backends, e.g. interp,kvm]
set -euo pipefail
cd "$(dirname "$0")/../.."
. scripts/lib/test-main.sh
trapdoor_test_main_setup "$PWD"
exec "$JAVA" "${JFLAGS[@]}" -cp "$CP" \
    dev.trapdoor.bench.ExitRateBenchmark examples/bench/outloop.bin "${1:-300000}" "${2:-interp,kvm}"
