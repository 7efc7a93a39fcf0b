#!/usr/bin/env bash
# Wall seconds (and guest instructions where countable) from process start to the initramfs's
# TRAPDOOR-USERSPACE-READY line, booting Debian's i386 686 kernel with the same initramfs and
# command line on: Trapdoor's interpreter (vmlinux fast path, and the bzImage with its xz
# decompressor), QEMU TCG and Bochs. Prints a markdown table; writes build/bench/linux-boot.csv.
#
#   scripts/bench/linux-boot.sh [tool...]     tools: trapdoor-vmlinux trapdoor-bzimage qemu bochs (default: all)
#
# Time limits per run (seconds): TRAPDOOR_LIMIT (vmlinux, 300), BZIMAGE_LIMIT (900), QEMU_LIMIT
# (120), BOCHS_LIMIT (600). Installs qemu-system-x86, bochs (+ its SDL2 display plugin and BIOS
# images) and isolinux/genisoimage from Debian when missing. Every process it starts is stopped
# before it exits. docs/benchmarks.md explains the columns.
set -euo pipefail
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

tools=("$@")
[[ ${#tools[@]} -gt 0 ]] || tools=(trapdoor-vmlinux trapdoor-bzimage qemu bochs)
want() { local t; for t in "${tools[@]}"; do [[ $t == "$1" ]] && return 0; done; return 1; }

MARKER=TRAPDOOR-USERSPACE-READY
# After the marker, /init runs the command and powers off; with acpi=off the kernel halts.
END='System halted'
APPEND='console=ttyS0 panic=-1 acpi=off noapic nolapic pci=off nokaslr lpj=1000000 cryptomgr.notests noisapnp quiet trapdoor.cmd="uname -m"'

need_packages qemu-system-x86 bochs bochsbios bochs-sdl vgabios isolinux syslinux-common genisoimage gcc
"$root/scripts/guests/fetch.sh" >/dev/null
guests="$root/build/guests"
kernel="$guests/bzImage-686"
initrd="$guests/initramfs.cpio.gz"
java_setup
if [[ ! -s "$initrd" ]]; then
    "$JAVA" -cp "$CP" dev.trapdoor.boot.Initramfs "$guests/busybox" "$initrd" >&2
fi
plugin_setup

csv="$out/linux-boot.csv"
echo "tool,wall_s_to_marker,run_s_to_marker,insns,insns_what,mips,notes" >"$csv"
row() { echo "$1,$2,$3,$4,$5,$6,\"$7\"" >>"$csv"; }

run_trapdoor() { # mode limit
    local mode=$1 limit=$2 log="$out/linux-boot-trapdoor-$1.log" extra=()
    [[ $mode == bzimage ]] && extra=(decompressor)
    say "Trapdoor interpreter, $mode (limit $limit s)"
    watch_run "$limit" "$log" "$MARKER" "^BENCH " \
        "$JAVA" "${JFLAGS[@]}" -cp "$CP" dev.trapdoor.bench.LinuxBootBenchmark "$kernel" "$initrd" "$mode" "$APPEND" "$limit" "${extra[@]}"
    local insns run note
    insns=$(kv "$log" marker_insns)
    run=$(kv "$log" marker_run_s)
    note="cold JVM; run s = from vm.run(); MIPS over run s; $(kv "$log" total_insns) insns to the halt"
    if [[ $mode == bzimage && -n $(kv "$log" decompressor_insns) ]]; then
        note="$note; decompressor $(kv "$log" decompressor_insns) insns in $(kv "$log" decompressor_s) s ($(kv "$log" decompressor_mips) MIPS)"
    fi
    row "trapdoor-interp-$mode" "${MARK_S:-timeout}" "${run:-}" "${insns:-}" "counted to the marker line" "$(mips "$insns" "$run")" "$note"
}

run_qemu() {
    local log="$out/linux-boot-qemu.log" count="$out/linux-boot-qemu-count.txt"
    local cmd=(qemu-system-i386 -accel tcg -m 64 -nographic -no-reboot -net none
        -kernel "$kernel" -initrd "$initrd" -append "$APPEND")
    say "QEMU TCG (limit ${QEMU_LIMIT:-120} s)"
    watch_run "${QEMU_LIMIT:-120}" "$log" "$MARKER" "$END" "${cmd[@]}"
    local wall=$MARK_S insns= what="no plugin support: not counted"
    if [[ -n "$QPLUGIN" && -n "$wall" ]]; then
        say "QEMU TCG again, counting instructions with the plugin"
        rm -f "$count"
        watch_run "${QEMU_LIMIT:-120}" "$out/linux-boot-qemu-counted.log" "$MARKER" "$END" \
            "${cmd[@]}" -plugin "$QPLUGIN,out=$count"
        insns=$(kv "$count" insns)
        what="plugin count to the halt after poweroff (REP counts per iteration; includes SeaBIOS)"
    fi
    row "qemu-tcg-bzimage" "${wall:-timeout}" "" "$insns" "$what" "$(mips "$insns" "$wall")" \
        "qemu-system-i386 $(qemu-system-i386 --version | sed -n '1s/.*version \([^ ]*\).*/\1/p'); -kernel bzImage (QEMU cannot boot the i386 vmlinux ELF: no PVH entry in this config); MIPS over wall"
}

run_bochs() {
    local dir="$out/bochs" log="$out/linux-boot-bochs.log"
    mkdir -p "$dir/iso/isolinux"
    # Bochs 2.7 has no direct Linux loader any more (load32bitOSImage: "This legacy feature is no
    # longer supported"): its BIOS boots an ISOLINUX CD with the same kernel, initrd and command line.
    cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$dir/iso/isolinux/"
    cp "$kernel" "$dir/iso/bzimage"
    cp "$initrd" "$dir/iso/initrd.gz"
    printf 'DEFAULT linux\nPROMPT 0\nTIMEOUT 0\nLABEL linux\n  KERNEL /bzimage\n  INITRD /initrd.gz\n  APPEND %s\n' "$APPEND" \
        >"$dir/iso/isolinux/isolinux.cfg"
    genisoimage -quiet -o "$dir/boot.iso" -b isolinux/isolinux.bin -c isolinux/boot.cat \
        -no-emul-boot -boot-load-size 4 -boot-info-table -R -J "$dir/iso"
    # No nogui in Debian's build: SDL2 with the dummy video driver. sync=none: the virtual clock
    # follows the instruction count at ips (about Bochs's real speed here), as Trapdoor's does.
    cat >"$dir/bochsrc" <<EOF
megs: 64
romimage: file=/usr/share/bochs/BIOS-bochs-latest
vgaromimage: file=/usr/share/bochs/VGABIOS-lgpl-latest
display_library: sdl2
ata0: enabled=1, ioaddr1=0x1f0, ioaddr2=0x3f0, irq=14
ata0-master: type=cdrom, path=$dir/boot.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=$log
cpu: count=1, ips=100000000
clock: sync=none, time0=1767225600
usb_uhci: enabled=0
speaker: enabled=0
sound: waveoutdrv=dummy, waveindrv=dummy, midioutdrv=dummy
log: $dir/bochs.log
panic: action=fatal
error: action=report
info: action=report
EOF
    echo c >"$dir/continue"
    say "Bochs (limit ${BOCHS_LIMIT:-600} s)"
    rm -f "$dir/bochs.log"
    WATCH_OUT="$dir/bochs.out" watch_run "${BOCHS_LIMIT:-600}" "$log" "$MARKER" "$END" env SDL_VIDEODRIVER=dummy \
        bochs -q -f "$dir/bochsrc" -rc "$dir/continue"
    # Log lines start with the tick count: one tick per instruction, plus the ticks skipped while
    # halted. The kernel's final HLT with interrupts off is logged; its stamp bounds the count.
    local ticks
    ticks=$(grep -m1 'HLT instruction with IF=0' "$dir/bochs.log" 2>/dev/null | sed -n 's/^0*\([0-9][0-9]*\)i.*/\1/p' || true)
    row "bochs-isolinux-bzimage" "${MARK_S:-timeout}" "" "$ticks" "ticks at the final HLT (>= instructions; includes BIOS and ISOLINUX)" \
        "$(mips "$ticks" "$MARK_S")" "Bochs $(dpkg-query -W -f='${Version}' bochs); debugger build; BIOS + ISOLINUX boot; MIPS over wall"
}

want trapdoor-vmlinux && run_trapdoor vmlinux "${TRAPDOOR_LIMIT:-300}"
want trapdoor-bzimage && run_trapdoor bzimage "${BZIMAGE_LIMIT:-900}"
want qemu && run_qemu
want bochs && run_bochs

{
    echo
    echo "Linux boot to $MARKER (Debian $(cat "$guests/kernel-package" 2>/dev/null), 64 MB, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
    echo
    echo "| tool | wall s to marker | run s to marker | guest instructions | counted | MIPS | notes |"
    echo "|---|---:|---:|---:|---|---:|---|"
    tail -n +2 "$csv" | while IFS=, read -r tool wall run insns what m notes; do
        echo "| $tool | $wall | ${run:--} | ${insns:--} | $what | $m | ${notes//\"/} |"
    done
    echo
    echo "CSV: $csv"
} | tee "$out/linux-boot.md"
