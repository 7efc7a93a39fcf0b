#!/usr/bin/env bash
# Random byte streams as code on the interpreter in real mode, ring 0 and ring 3 (with an IDT);
# fails if any stream makes a host exception (INTERNAL_ERROR), printing its seed and bytes.
#
#   scripts/cpu/fuzz.sh [streamsPerMode=10000] [seed=1] [sliceMillis=3]
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
. scripts/lib/test-main.sh
trapdoor_test_main_setup "$root"
exec "$JAVA" "${JFLAGS[@]}" -cp "$CP" dev.trapdoor.cpu.diff.FuzzRunner "$@"
