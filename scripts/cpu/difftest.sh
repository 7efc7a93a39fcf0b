#!/usr/bin/env bash
# Differential test of the interpreter CPU against the host CPU: random cases per instruction
# group run as a static i386 ELF on the host and on the interpreter; defined results compared.
#
#   scripts/cpu/difftest.sh [casesPerGroup=80000] [seed=1] [group...]
#   DIFF_STRICT=1 scripts/cpu/difftest.sh 3000    # also compare undefined flags (informative)
#
# Needs an x86 Linux host that runs i386 executables. Exit status 1 on any mismatch.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
. scripts/lib/test-main.sh
trapdoor_test_main_setup "$root"
exec "$JAVA" "${JFLAGS[@]}" -Ddiff.strict="${DIFF_STRICT:-false}" ${DIFF_ULPS:+-Ddiff.ulps=$DIFF_ULPS} -cp "$CP" dev.trapdoor.cpu.diff.DiffMain "$@"
