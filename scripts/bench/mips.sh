#!/usr/bin/env bash
# Guest MIPS on a compute-bound guest (examples/bench/crcsieve.S: CRC-32 + prime sieve, no
# interrupts, no string instructions) on Trapdoor's interpreter, Trapdoor on KVM, and QEMU TCG;
# then the MIPS of the 686 bzImage's xz decompressor phase (entry to the first instruction at
# 0x1000000) on Trapdoor and QEMU. Prints markdown tables; writes build/bench/mips.csv.
#
#   scripts/bench/mips.sh [passes=1000] [kvm_passes=10]
#
# passes=1000 is about 1.36 G instructions. KVM here is kvm_pvm (a software KVM, ~1 M instr/s on
# this guest), so it runs kvm_passes and its MIPS uses the interpreter's count for the same passes.
# Time limits: MIPS_LIMIT (per Trapdoor JVM, 900 s), QEMU_LIMIT (120 s), DECOMP_LIMIT (900 s).
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

passes=${1:-1000}
kvm_passes=${2:-10}
APPEND='console=ttyS0 panic=-1 acpi=off noapic nolapic pci=off nokaslr lpj=1000000 cryptomgr.notests noisapnp quiet trapdoor.cmd="uname -m"'

need_packages qemu-system-x86 gcc binutils
guest="$root/examples/bench/crcsieve.bin"
src="$root/examples/bench/crcsieve.S"
if [[ ! -s "$guest" || "$src" -nt "$guest" ]]; then
    as --32 -o "$out/crcsieve.o" "$src"
    ld -m elf_i386 -Ttext 0x100000 -e _start --oformat binary -o "$guest" "$out/crcsieve.o"
fi
java_setup
plugin_setup

csv="$out/mips.csv"
echo "workload,engine,passes,seconds,insns,mips,ratio_to_qemu,output" >"$csv"

# ---- QEMU TCG: the guest's own time is from its first instruction (mark 0x100000, after SeaBIOS
# and the Multiboot option ROM) to QEMU's exit on isa-debug-exit, both taken by the plugin.
qemu_guest() { # passes plugin-args -> sets Q_S, Q_INSNS, Q_OUT
    local p=$1 args=$2 log="$out/mips-qemu.log" res="$out/mips-qemu.txt"
    rm -f "$res"
    watch_run "${QEMU_LIMIT:-120}" "$log" "crcsieve " "never: QEMU exits by itself" \
        qemu-system-i386 -accel tcg -m 64 -nographic -no-reboot -net none \
        -device isa-debug-exit,iobase=0xf4,iosize=0x04 -kernel "$guest" -append "passes=$p" \
        -plugin "$QPLUGIN,out=$res,$args"
    local start end i m
    start=$(kv "$res" mark0_epoch) end=$(kv "$res" exit_epoch)
    Q_S=$( [[ -n "$start" && -n "$end" ]] && elapsed "$start" "$end" || echo "")
    i=$(kv "$res" insns) m=$(kv "$res" mark0_insns)
    Q_INSNS=$(( ${i:-0} - ${m:-0} ))
    Q_OUT=$(grep -a -o 'crcsieve .*' "$log" | tr -d '\r' | head -n1)
}

[[ -n "$QPLUGIN" ]] || die "QEMU cannot load the counting plugin here (needed to time the guest without SeaBIOS)"
say "QEMU TCG, $passes passes"
qemu_guest "$passes" "count=off,mark=0x100000"
qemu_s=$Q_S qemu_out=$Q_OUT
qemu_guest "$passes" "mark=0x100000"
qemu_insns=$Q_INSNS
qemu_mips=$(mips "$qemu_insns" "$qemu_s")
echo "crcsieve,qemu-tcg,$passes,$qemu_s,$qemu_insns,$qemu_mips,1.00,\"$qemu_out\"" >>"$csv"

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.3f", a / b; else printf "n/a" }'; }

say "Trapdoor interpreter ($passes passes, 3 rounds) and KVM ($kvm_passes passes)"
tlog="$out/mips-trapdoor.log"
watch_run "${MIPS_LIMIT:-900}" "$tlog" "backend=interp round=3" "backend=interp round=3" \
    "$JAVA" "${JFLAGS[@]}" -cp "$CP" dev.trapdoor.bench.MipsBenchmark "$guest" "$passes" interp 3 "${MIPS_LIMIT:-900}"
klog="$out/mips-trapdoor-kvm.log"
watch_run "${MIPS_LIMIT:-900}" "$klog" "backend=kvm" "backend=kvm" \
    "$JAVA" "${JFLAGS[@]}" -cp "$CP" dev.trapdoor.bench.MipsBenchmark "$guest" "$kvm_passes" kvm 1 "${MIPS_LIMIT:-900}"
for line in $(grep '^BENCH ' "$tlog" "$klog" | cut -d: -f2- | tr ' ' '|'); do
    f() { tr '|' '\n' <<<"$line" | sed -n "s/^$1=//p"; }
    if [[ -n $(f skipped) ]]; then
        echo "crcsieve,trapdoor-$(f backend),,,,n/a,n/a,skipped: $(f skipped | tr '_' ' ')" >>"$csv"
        continue
    fi
    b=$(f backend) r=$(f round) s=$(f seconds) n=$(f insns) ref=$(f ref_insns)
    label="trapdoor-$b round $r$([[ $r == 1 ]] && echo ' (cold)' || echo ' (warm)')"
    [[ $b == kvm ]] && label="trapdoor-kvm (instructions: the interpreter's count)"
    m=$(mips "$ref" "$s")
    echo "crcsieve,$label,$([[ $b == kvm ]] && echo "$kvm_passes" || echo "$passes"),$s,$ref,$m,$(ratio "$m" "$qemu_mips"),\"$(f output | tr ',' ' ')\"" >>"$csv"
done

# ---- The 686 bzImage's decompressor: entry at 0x100000 (the 32-bit boot protocol) to the first
# instruction at 0x1000000 (the decompressed vmlinux's startup_32).
"$root/scripts/guests/fetch.sh" >/dev/null
guests="$root/build/guests"
initrd="$guests/initramfs.cpio.gz"
[[ -s "$initrd" ]] || "$JAVA" -cp "$CP" dev.trapdoor.boot.Initramfs "$guests/busybox" "$initrd" >&2
say "Trapdoor interpreter: bzImage decompressor (breakpoint at 0x1000000)"
dlog="$out/mips-decompressor-trapdoor.log"
watch_run "${DECOMP_LIMIT:-900}" "$dlog" "^BENCH " "^BENCH " \
    "$JAVA" "${JFLAGS[@]}" -cp "$CP" dev.trapdoor.bench.LinuxBootBenchmark "$guests/bzImage-686" "$initrd" bzimage "$APPEND" "${DECOMP_LIMIT:-900}" decompressor-only
t_dn=$(kv "$dlog" decompressor_insns) t_ds=$(kv "$dlog" decompressor_s)

say "QEMU TCG: bzImage decompressor (plugin marks at 0x100000 and 0x1000000)"
qemu_decomp() { # plugin-args
    local res="$out/mips-decompressor-qemu.txt"
    rm -f "$res"
    watch_run "${QEMU_LIMIT:-120}" "$out/mips-decompressor-qemu.log" TRAPDOOR-USERSPACE-READY 'System halted' \
        qemu-system-i386 -accel tcg -m 64 -nographic -no-reboot -net none \
        -kernel "$guests/bzImage-686" -initrd "$initrd" -append "$APPEND" -plugin "$QPLUGIN,out=$res,$1"
    local a b
    a=$(kv "$res" mark0_epoch) b=$(kv "$res" mark1_epoch)
    QD_S=$( [[ -n "$a" && -n "$b" ]] && elapsed "$a" "$b" || echo "")
    local i0 i1
    i0=$(kv "$res" mark0_insns) i1=$(kv "$res" mark1_insns)
    QD_N=$(( ${i1:-0} - ${i0:-0} ))
}
qemu_decomp "count=off,mark=0x100000,mark=0x1000000"
q_ds=$QD_S
qemu_decomp "mark=0x100000,mark=0x1000000"
q_dn=$QD_N
q_dm=$(mips "$q_dn" "$q_ds")
echo "xz-decompressor,qemu-tcg,,$q_ds,$q_dn,$q_dm,1.00,plugin marks" >>"$csv"
t_dm=$(mips "$t_dn" "$t_ds")
echo "xz-decompressor,trapdoor-interp (cold),,$t_ds,$t_dn,$t_dm,$(ratio "$t_dm" "$q_dm"),breakpoint at 0x1000000" >>"$csv"

{
    echo
    echo "Guest MIPS ($(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); QEMU $(qemu-system-i386 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p'))"
    echo
    echo "| workload | engine | passes | seconds | guest instructions | MIPS | ratio to QEMU TCG | output |"
    echo "|---|---|---:|---:|---:|---:|---:|---|"
    tail -n +2 "$csv" | while IFS=, read -r w e p s n m r o; do
        echo "| $w | $e | ${p:--} | ${s:--} | ${n:--} | $m | $r | ${o//\"/} |"
    done
    echo
    echo "CSV: $csv"
} | tee "$out/mips.md"
