#!/bin/sh
# Rebuilds the flat guest binaries beside their sources: <name>.S -> <name>.bin, linked at 0x1000.
# Usage: examples/build-guests.sh [file.S ...]   (default: every examples/*/*.S)
set -eu
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
[ $# -gt 0 ] || set -- */*.S
for src in "$@"; do
    name=${src%.S}
    as --32 -o "$tmp/guest.o" "$src"
    ld -m elf_i386 -Ttext 0x1000 -e _start --oformat binary -o "$name.bin" "$tmp/guest.o"
    echo "$name.bin: $(wc -c < "$name.bin") bytes"
done
