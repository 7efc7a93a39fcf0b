package dev.trapdoor.boot;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.memory.PhysicalMemory;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Loads a Multiboot 1 kernel (Multiboot Specification 0.6.96): the file by its ELF program
 * headers or by the header's address fields, the modules page-aligned above it, and the boot
 * information structure (3.3) with memory sizes, command line, modules, the memory map and the
 * loader's name. Entry (3.2): flat 32-bit, paging off, EAX = 0x2BADB002, EBX = the info structure.
 */
public final class MultibootLoader {
    public static final int BOOTLOADER_MAGIC = 0x2BADB002;

    static final int INFO_MEMORY = 1, INFO_CMDLINE = 1 << 2, INFO_MODS = 1 << 3, INFO_MMAP = 1 << 6, INFO_LOADER_NAME = 1 << 9;
    static final int INFO_SIZE = 88; // through the VBE fields; the framebuffer fields are not provided
    static final String LOADER_NAME = "Trapdoor";

    /** A boot module: its bytes and the string the kernel gets with it (often its command line). */
    public record Module(String string, byte[] bytes) {}

    private String cmdline = "";
    private final List<Module> modules = new ArrayList<>();

    public MultibootLoader cmdline(String c) { cmdline = c == null ? "" : c; return this; }
    public MultibootLoader module(String string, byte[] bytes) { modules.add(new Module(string, bytes)); return this; }

    public BootPlan load(PhysicalMemory memory, byte[] image) {
        MultibootHeader h = MultibootHeader.parse(image);
        Staging staging = new Staging(memory);
        long entry, kernelEnd;
        if (h.hasAddressFields()) {
            // 3.1.3: header_addr is where the header itself lands; the load starts (header_addr - load_addr) before it.
            if (h.headerAddr() < h.loadAddr())
                throw BadImageException.of("bad multiboot header: header_addr 0x%x is below load_addr 0x%x", h.headerAddr(), h.loadAddr());
            long fileStart = h.offset() - (h.headerAddr() - h.loadAddr());
            if (fileStart < 0)
                throw BadImageException.of("bad multiboot header: load_addr 0x%x would start 0x%x bytes before the file",
                        h.loadAddr(), -fileStart);
            long fileSize = h.loadEndAddr() == 0 ? image.length - fileStart : h.loadEndAddr() - h.loadAddr();
            if (fileSize <= 0 || fileStart + fileSize > image.length)
                throw BadImageException.of("truncated multiboot image: load_addr 0x%x..load_end_addr 0x%x needs file bytes 0x%x+0x%x, the file is 0x%x bytes",
                        h.loadAddr(), h.loadEndAddr(), fileStart, fileSize, image.length);
            long memSize = fileSize;
            if (h.bssEndAddr() != 0) {
                if (h.bssEndAddr() < h.loadAddr() + fileSize)
                    throw BadImageException.of("bad multiboot header: bss_end_addr 0x%x is below the end of the loaded file 0x%x",
                            h.bssEndAddr(), h.loadAddr() + fileSize);
                memSize = h.bssEndAddr() - h.loadAddr();
            }
            staging.add("kernel", h.loadAddr(), image, (int) fileStart, fileSize, memSize);
            entry = h.entryAddr();
            kernelEnd = h.loadAddr() + memSize;
        } else {
            if (!Elf32Image.looksLikeElf(image))
                throw new BadImageException("the multiboot image has no address fields (flag 16) and is not ELF, so there is nowhere to load it");
            Elf32Image elf = Elf32Image.parse(image, "multiboot ELF image");
            elf.stage(staging, image, "kernel");
            entry = elf.physicalEntry();
            kernelEnd = elf.highestAddress();
        }

        // Modules: page-aligned (flag 0 asks for it; doing it always costs nothing), one after another above the kernel.
        long next = align(kernelEnd, PhysicalMemory.PAGE_SIZE);
        long[] moduleAddr = new long[modules.size()];
        for (int i = 0; i < modules.size(); i++) {
            Module m = modules.get(i);
            moduleAddr[i] = next;
            staging.add("module " + i + " " + m.string(), next, m.bytes());
            next = align(next + m.bytes().length, PhysicalMemory.PAGE_SIZE);
        }

        E820Map map = E820Map.of(memory);
        byte[] info = buildInfo(BootLayout.MULTIBOOT_INFO, map, moduleAddr);
        staging.add("multiboot info", BootLayout.MULTIBOOT_INFO, info);
        staging.add("GDT", BootLayout.GDT, BootGdt.table());

        X86Registers regs = BootGdt.flat32(BootLayout.GDT, entry, BootLayout.STACK_TOP);
        regs.gpr[X86Registers.EAX] = BOOTLOADER_MAGIC;
        regs.gpr[X86Registers.EBX] = (int) BootLayout.MULTIBOOT_INFO;
        return new BootPlan("multiboot", BootPlan.Mode.FLAT32, entry, regs, staging.commit(), -1);
    }

    /** The info structure (3.3) followed by the mmap, the module list and the strings, all in one block at base. */
    private byte[] buildInfo(long base, E820Map map, long[] moduleAddr) {
        int mmapOff = INFO_SIZE;
        int mmapLen = 24 * map.entries().size();
        int modsOff = mmapOff + mmapLen;
        int stringsOff = modsOff + 16 * modules.size();
        ByteArrayOutputStream strings = new ByteArrayOutputStream();

        byte[] head = new byte[stringsOff];
        int flags = INFO_MEMORY | INFO_CMDLINE | INFO_MMAP | INFO_LOADER_NAME | (modules.isEmpty() ? 0 : INFO_MODS);
        ImageBytes.put32(head, 0, flags);
        ImageBytes.put32(head, 4, Math.min(map.usableFrom(0) / 1024, 640));
        ImageBytes.put32(head, 8, Math.min(map.usableFrom(E820Map.LEGACY_END) / 1024, 0xffffffffL));
        ImageBytes.put32(head, 16, base + stringsOff + addString(strings, cmdline));
        ImageBytes.put32(head, 20, modules.size());
        ImageBytes.put32(head, 24, modules.isEmpty() ? 0 : base + modsOff);
        ImageBytes.put32(head, 44, mmapLen);
        ImageBytes.put32(head, 48, base + mmapOff);
        ImageBytes.put32(head, 64, base + stringsOff + addString(strings, LOADER_NAME));
        for (int i = 0; i < map.entries().size(); i++) {
            E820Map.Entry e = map.entries().get(i);
            int o = mmapOff + 24 * i;
            ImageBytes.put32(head, o, 20); // size of the entry, not counting this field
            ImageBytes.put64(head, o + 4, e.base());
            ImageBytes.put64(head, o + 12, e.length());
            ImageBytes.put32(head, o + 20, e.type());
        }
        for (int i = 0; i < modules.size(); i++) {
            int o = modsOff + 16 * i;
            ImageBytes.put32(head, o, moduleAddr[i]);
            ImageBytes.put32(head, o + 4, moduleAddr[i] + modules.get(i).bytes().length);
            ImageBytes.put32(head, o + 8, base + stringsOff + addString(strings, modules.get(i).string()));
        }
        ByteArrayOutputStream all = new ByteArrayOutputStream();
        all.writeBytes(head);
        all.writeBytes(strings.toByteArray());
        return all.toByteArray();
    }

    private static int addString(ByteArrayOutputStream strings, String s) {
        int at = strings.size();
        strings.writeBytes((s == null ? "" : s).getBytes(StandardCharsets.UTF_8));
        strings.write(0);
        return at;
    }

    static long align(long v, long a) {
        return (v + a - 1) & -a;
    }
}
