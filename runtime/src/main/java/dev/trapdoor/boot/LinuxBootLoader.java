package dev.trapdoor.boot;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.memory.PhysicalMemory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Boots a Linux bzImage through the 32-bit boot protocol (Documentation/arch/x86/boot.rst): the
 * protected-mode kernel loaded high, the zero page (struct boot_params) with the copied setup
 * header and an E820 map, the command line and the initrd; entry at the protected-mode kernel in
 * flat mode with ESI = boot_params.
 *
 * <p>With {@link #vmlinux(boolean)} the loader skips the kernel's own decompressor: it extracts the
 * ELF vmlinux from the payload (cached as FILE.vmlinux next to an image read from a file), loads
 * its segments at their physical addresses and enters at its physical entry with the same zero page.
 */
public final class LinuxBootLoader {
    static final long DEFAULT_LOAD = 0x100000;
    static final long MIN_INITRD = 0x100000;

    private final byte[] image;
    private final Path path;
    private final SetupHeader header;
    private String cmdline = "";
    private byte[] initrd;
    private boolean vmlinux;
    private boolean longModeEntry;

    public LinuxBootLoader(byte[] bzImage) {
        this(bzImage, null);
    }

    private LinuxBootLoader(byte[] bzImage, Path path) {
        this.image = bzImage;
        this.path = path;
        this.header = SetupHeader.parse(bzImage);
    }

    /** Reads a bzImage file; the vmlinux fast path caches its extraction next to it. */
    public static LinuxBootLoader of(Path bzImage) throws IOException {
        return new LinuxBootLoader(Files.readAllBytes(bzImage), bzImage);
    }

    public LinuxBootLoader cmdline(String c) { cmdline = c == null ? "" : c; return this; }
    public LinuxBootLoader initrd(byte[] bytes) { initrd = bytes != null && bytes.length == 0 ? null : bytes; return this; }
    /** Enter the uncompressed vmlinux directly instead of the bzImage's decompressor. */
    public LinuxBootLoader vmlinux(boolean direct) { vmlinux = direct; return this; }

    /**
     * Enter an x86-64 kernel at startup_64 in 64-bit mode (boot.rst, "64-bit Boot Protocol")
     * instead of at its 32-bit entry. Only a CPU with long mode can run it (KVM, not the interpreter).
     */
    public LinuxBootLoader entry64(boolean on) { longModeEntry = on; return this; }

    public SetupHeader header() { return header; }

    /** The ELF vmlinux inside the image (from the cache when the image came from a file). */
    public byte[] extractVmlinux() {
        return path != null ? VmlinuxPayload.extractCached(path, image, header) : VmlinuxPayload.extract(image, header);
    }

    public BootPlan load(PhysicalMemory memory) {
        SetupHeader h = header;
        byte[] cmd = cmdline.getBytes(StandardCharsets.UTF_8);
        if (cmd.length > h.cmdlineSize())
            throw BadImageException.of("the command line is %d bytes; this kernel takes at most %d (cmdline_size)", cmd.length, h.cmdlineSize());
        for (byte c : cmd) if (c == 0) throw new BadImageException("the command line contains a NUL byte");

        if (longModeEntry && !h.is64Bit())
            throw new BadImageException("the 64-bit entry needs an x86-64 kernel; this one is 32-bit (xloadflags has no XLF_KERNEL_64)");
        if (longModeEntry && vmlinux)
            throw new BadImageException("the vmlinux fast path loads a 32-bit ELF kernel; use the bzImage for the 64-bit entry");
        E820Map map = E820Map.of(memory);
        Staging staging = new Staging(memory);
        String format;
        long entry, code32, footStart, footEnd, entry64 = -1;

        if (vmlinux) {
            byte[] elfBytes = extractVmlinux();
            Elf32Image elf = Elf32Image.parse(elfBytes, "vmlinux");
            elf.stage(staging, elfBytes, "vmlinux");
            format = "vmlinux";
            entry = elf.physicalEntry();
            footStart = elf.lowestAddress();
            footEnd = elf.highestAddress();
            code32 = footStart;
        } else {
            long load = chooseLoadAddress(h, map);
            footStart = load;
            footEnd = footprintEnd(h, load);
            long room = map.usableFrom(load);
            if (footEnd - load > room)
                throw BadImageException.of("the kernel does not fit in RAM: loaded at 0x%x it needs up to 0x%x (init_size 0x%x) but usable RAM there ends at 0x%x",
                        load, footEnd, h.initSize(), load + room);
            staging.add("kernel (protected mode)", load, image, (int) h.setupBytes(), h.kernelBytes(), h.kernelBytes());
            format = "bzImage";
            entry = load;
            code32 = load;
            if (h.is64Bit()) entry64 = load + 0x200; // boot.rst, "64-bit Boot Protocol": startup_64 is at load + 0x200
        }

        long initrdAddr = 0, initrdSize = 0;
        if (initrd != null) {
            initrdSize = initrd.length;
            initrdAddr = placeInitrd(map, h, initrdSize, footStart, footEnd);
            staging.add("initrd", initrdAddr, initrd);
        }

        byte[] cmdz = new byte[cmd.length + 1];
        System.arraycopy(cmd, 0, cmdz, 0, cmd.length);
        staging.add("command line", BootLayout.CMDLINE, cmdz);
        staging.add("boot_params (zero page)", BootLayout.ZERO_PAGE,
                BootParams.build(image, h, map, code32, BootLayout.CMDLINE, initrdAddr, initrdSize));
        if (longModeEntry) {
            staging.add("GDT (64-bit)", BootLayout.GDT, BootGdt.table64());
            staging.add("page tables (identity, 4 GiB)", BootLayout.PAGE_TABLES_64, IdentityPageTables64.build(BootLayout.PAGE_TABLES_64));
            X86Registers regs = BootGdt.long64(BootLayout.GDT, entry64, BootLayout.STACK_TOP, BootLayout.PAGE_TABLES_64);
            regs.gpr[X86Registers.ESI] = (int) BootLayout.ZERO_PAGE;
            return new BootPlan(format, BootPlan.Mode.LONG64, entry64, regs, staging.commit(), entry64);
        }
        staging.add("GDT", BootLayout.GDT, BootGdt.table());

        // boot.rst, "32-bit Boot Protocol": CS=__BOOT_CS, DS/ES/SS=__BOOT_DS, interrupts off, ESI = boot_params, EBP/EDI/EBX = 0.
        X86Registers regs = BootGdt.flat32(BootLayout.GDT, entry, BootLayout.STACK_TOP);
        regs.gpr[X86Registers.ESI] = (int) BootLayout.ZERO_PAGE;
        return new BootPlan(format, BootPlan.Mode.FLAT32, entry, regs, staging.commit(), entry64);
    }

    /** pref_address when the kernel is relocatable and its footprint fits there, else the classic 0x100000. */
    static long chooseLoadAddress(SetupHeader h, E820Map map) {
        long pref = h.prefAddress();
        if (h.relocatable() && pref >= DEFAULT_LOAD && pref + h.kernelBytes() <= 0xffffffffL
                && footprintEnd(h, pref) - pref <= map.usableFrom(pref)) return pref;
        return DEFAULT_LOAD;
    }

    /**
     * The end of the memory the kernel uses while it starts: the file, and init_size from where
     * the decompressor runs (a relocatable kernel moves up to pref_address, boot.rst "init_size").
     */
    static long footprintEnd(SetupHeader h, long load) {
        long runAt = h.relocatable() ? Math.max(load, h.prefAddress()) : load;
        return Math.max(load + h.kernelBytes(), runAt + h.initSize());
    }

    /**
     * The initrd goes as high as it can (boot.rst: "as high as possible"), page-aligned, in usable
     * RAM at or above 1 MiB, at or below initrd_addr_max, clear of the kernel's footprint.
     */
    static long placeInitrd(E820Map map, SetupHeader h, long size, long footStart, long footEnd) {
        long max = h.initrdAddrMax() + 1; // initrd_addr_max is the highest address the initrd may occupy
        List<long[]> free = new ArrayList<>();
        for (E820Map.Entry e : map.entries()) {
            if (e.type() != E820Map.USABLE) continue;
            long lo = Math.max(e.base(), MIN_INITRD), hi = Math.min(e.end(), max);
            if (lo >= hi) continue;
            if (footEnd <= lo || footStart >= hi) {
                free.add(new long[]{lo, hi});
            } else {
                if (footStart > lo) free.add(new long[]{lo, footStart});
                if (footEnd < hi) free.add(new long[]{footEnd, hi});
            }
        }
        for (int i = free.size() - 1; i >= 0; i--) {
            long lo = free.get(i)[0], hi = free.get(i)[1];
            long at = (hi - size) & -PhysicalMemory.PAGE_SIZE;
            if (hi - size >= lo && at >= lo) return at;
        }
        throw BadImageException.of("the initrd (%,d bytes) does not fit in RAM: it must lie above 1 MiB, below initrd_addr_max 0x%x and clear of the kernel at 0x%x-0x%x",
                size, h.initrdAddrMax(), footStart, footEnd - 1);
    }
}
