#!/usr/bin/env bash
# Our disassembler against GNU objdump, instruction by instruction, on Debian's i386 busybox
# and kernel modules (scripts/guests/fetch.sh fetches them), or on a random sweep:
#
#   scripts/cpu/objdump-corpus.sh                 # busybox + every .ko of the fetched kernel
#   scripts/cpu/objdump-corpus.sh file.ko ...     # given ELF32 files
#   scripts/cpu/objdump-corpus.sh --sweep 100000 [seed]
#
# Prints the match rate and the mismatches by category, with examples.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$root"
. scripts/lib/test-main.sh
trapdoor_test_main_setup "$root"
if [[ $# -eq 0 ]]; then
    [[ -f build/guests/busybox ]] || scripts/guests/fetch.sh >/dev/null
    # The i386 kernel's modules only (fetch.sh amd64 puts an x86-64 kernel beside it).
    kdir="build/guests/$(cat build/guests/kernel-package)"
    mapfile -t files < <(printf '%s\n' build/guests/busybox; find "$kdir" -path '*lib/modules*' -name '*.ko' | sort)
    for xz in $(find "$kdir" -path '*lib/modules*' -name '*.ko.xz'); do
        [[ -f ${xz%.xz} ]] || xz -dk "$xz"
        files+=("${xz%.xz}")
    done
    set -- "${files[@]}"
fi
exec "$JAVA" "${JFLAGS[@]}" -cp "$CP" dev.trapdoor.cpu.diff.ObjdumpCorpus "$@"
