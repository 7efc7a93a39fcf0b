package dev.trapdoor.kvm;

import java.lang.foreign.MemoryLayout;
import java.lang.foreign.StructLayout;

import static java.lang.foreign.MemoryLayout.PathElement.groupElement;
import static java.lang.foreign.MemoryLayout.paddingLayout;
import static java.lang.foreign.MemoryLayout.sequenceLayout;
import static java.lang.foreign.MemoryLayout.structLayout;
import static java.lang.foreign.MemoryLayout.unionLayout;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;

/**
 * The KVM ABI on x86-64 Linux, declared mechanically from include/uapi/linux/kvm.h and
 * arch/x86/include/uapi/asm/kvm.h: struct layouts, the byte offsets the backend reads, ioctl
 * numbers computed with the _IO/_IOR/_IOW encodings from the struct sizes, capabilities, exit
 * reasons. No behaviour lives here.
 */
final class KvmAbi {
    private KvmAbi() {}

    // ---- ioctl encoding (include/uapi/asm-generic/ioctl.h)

    private static final int IOC_NONE = 0, IOC_WRITE = 1, IOC_READ = 2;
    static final int KVMIO = 0xAE;

    static long ioc(int dir, int type, int nr, long size) {
        return ((long) dir << 30) | (size << 16) | ((long) type << 8) | nr;
    }

    static long io(int nr) { return ioc(IOC_NONE, KVMIO, nr, 0); }
    static long ior(int nr, MemoryLayout arg) { return ioc(IOC_READ, KVMIO, nr, arg.byteSize()); }
    static long iow(int nr, MemoryLayout arg) { return ioc(IOC_WRITE, KVMIO, nr, arg.byteSize()); }
    static long iowr(int nr, MemoryLayout arg) { return ioc(IOC_READ | IOC_WRITE, KVMIO, nr, arg.byteSize()); }

    // ---- structs

    static final StructLayout KVM_REGS = structLayout(
            JAVA_LONG.withName("rax"), JAVA_LONG.withName("rbx"), JAVA_LONG.withName("rcx"), JAVA_LONG.withName("rdx"),
            JAVA_LONG.withName("rsi"), JAVA_LONG.withName("rdi"), JAVA_LONG.withName("rsp"), JAVA_LONG.withName("rbp"),
            JAVA_LONG.withName("r8"), JAVA_LONG.withName("r9"), JAVA_LONG.withName("r10"), JAVA_LONG.withName("r11"),
            JAVA_LONG.withName("r12"), JAVA_LONG.withName("r13"), JAVA_LONG.withName("r14"), JAVA_LONG.withName("r15"),
            JAVA_LONG.withName("rip"), JAVA_LONG.withName("rflags"));

    static final StructLayout KVM_SEGMENT = structLayout(
            JAVA_LONG.withName("base"), JAVA_INT.withName("limit"), JAVA_SHORT.withName("selector"),
            JAVA_BYTE.withName("type"), JAVA_BYTE.withName("present"), JAVA_BYTE.withName("dpl"), JAVA_BYTE.withName("db"),
            JAVA_BYTE.withName("s"), JAVA_BYTE.withName("l"), JAVA_BYTE.withName("g"), JAVA_BYTE.withName("avl"),
            JAVA_BYTE.withName("unusable"), JAVA_BYTE.withName("padding"));

    static final StructLayout KVM_DTABLE = structLayout(
            JAVA_LONG.withName("base"), JAVA_SHORT.withName("limit"), sequenceLayout(3, JAVA_SHORT).withName("padding"));

    /** KVM_NR_INTERRUPTS = 256, as a bitmap of u64 words. */
    static final StructLayout KVM_SREGS = structLayout(
            KVM_SEGMENT.withName("cs"), KVM_SEGMENT.withName("ds"), KVM_SEGMENT.withName("es"), KVM_SEGMENT.withName("fs"),
            KVM_SEGMENT.withName("gs"), KVM_SEGMENT.withName("ss"), KVM_SEGMENT.withName("tr"), KVM_SEGMENT.withName("ldt"),
            KVM_DTABLE.withName("gdt"), KVM_DTABLE.withName("idt"),
            JAVA_LONG.withName("cr0"), JAVA_LONG.withName("cr2"), JAVA_LONG.withName("cr3"), JAVA_LONG.withName("cr4"),
            JAVA_LONG.withName("cr8"), JAVA_LONG.withName("efer"), JAVA_LONG.withName("apic_base"),
            sequenceLayout(4, JAVA_LONG).withName("interrupt_bitmap"));

    static final StructLayout KVM_USERSPACE_MEMORY_REGION = structLayout(
            JAVA_INT.withName("slot"), JAVA_INT.withName("flags"), JAVA_LONG.withName("guest_phys_addr"),
            JAVA_LONG.withName("memory_size"), JAVA_LONG.withName("userspace_addr"));

    static final StructLayout KVM_INTERRUPT = structLayout(JAVA_INT.withName("irq"));

    /** struct kvm_cpuid_entry2 (40 bytes) and the header of struct kvm_cpuid2 (nent, padding). */
    static final StructLayout KVM_CPUID_ENTRY2 = structLayout(
            JAVA_INT.withName("function"), JAVA_INT.withName("index"), JAVA_INT.withName("flags"),
            JAVA_INT.withName("eax"), JAVA_INT.withName("ebx"), JAVA_INT.withName("ecx"), JAVA_INT.withName("edx"),
            sequenceLayout(3, JAVA_INT).withName("padding"));
    static final StructLayout KVM_CPUID2 = structLayout(JAVA_INT.withName("nent"), JAVA_INT.withName("padding"));
    /** kvm_cpuid_entry2.flags: the entry depends on ECX (the subleaf). */
    static final int CPUID_FLAG_SIGNIFICANT_INDEX = 1;

    static final StructLayout KVM_TRANSLATION = structLayout(
            JAVA_LONG.withName("linear_address"), JAVA_LONG.withName("physical_address"),
            JAVA_BYTE.withName("valid"), JAVA_BYTE.withName("writeable"), JAVA_BYTE.withName("usermode"),
            paddingLayout(5));

    static final StructLayout KVM_GUEST_DEBUG = structLayout(
            JAVA_INT.withName("control"), JAVA_INT.withName("pad"), sequenceLayout(8, JAVA_LONG).withName("debugreg"));

    private static final StructLayout RUN_IO = structLayout(
            JAVA_BYTE.withName("direction"), JAVA_BYTE.withName("size"), JAVA_SHORT.withName("port"),
            JAVA_INT.withName("count"), JAVA_LONG.withName("data_offset"));
    private static final StructLayout RUN_MMIO = structLayout(
            JAVA_LONG.withName("phys_addr"), sequenceLayout(8, JAVA_BYTE).withName("data"),
            JAVA_INT.withName("len"), JAVA_BYTE.withName("is_write"), paddingLayout(3));
    private static final StructLayout RUN_DEBUG = structLayout(
            JAVA_INT.withName("exception"), JAVA_INT.withName("pad"), JAVA_LONG.withName("pc"),
            JAVA_LONG.withName("dr6"), JAVA_LONG.withName("dr7"));
    private static final StructLayout RUN_FAIL_ENTRY = structLayout(
            JAVA_LONG.withName("hardware_entry_failure_reason"), JAVA_INT.withName("cpu"), paddingLayout(4));
    private static final StructLayout RUN_INTERNAL = structLayout(
            JAVA_INT.withName("suberror"), JAVA_INT.withName("ndata"), sequenceLayout(16, JAVA_LONG).withName("data"));

    /** The kvm_run page header with the exit union (256 bytes) and the sync-regs union (2048 bytes). */
    static final StructLayout KVM_RUN = structLayout(
            JAVA_BYTE.withName("request_interrupt_window"), JAVA_BYTE.withName("immediate_exit"), paddingLayout(6),
            JAVA_INT.withName("exit_reason"), JAVA_BYTE.withName("ready_for_interrupt_injection"),
            JAVA_BYTE.withName("if_flag"), JAVA_SHORT.withName("flags"),
            JAVA_LONG.withName("cr8"), JAVA_LONG.withName("apic_base"),
            unionLayout(RUN_IO.withName("io"), RUN_MMIO.withName("mmio"), RUN_DEBUG.withName("debug"),
                    RUN_FAIL_ENTRY.withName("fail_entry"), RUN_INTERNAL.withName("internal"),
                    paddingLayout(256)).withName("exit"),
            JAVA_LONG.withName("kvm_valid_regs"), JAVA_LONG.withName("kvm_dirty_regs"),
            unionLayout(structLayout(KVM_REGS.withName("regs"), KVM_SREGS.withName("sregs")).withName("x86"),
                    paddingLayout(2048)).withName("s"));

    private static long off(StructLayout s, String... path) {
        MemoryLayout.PathElement[] p = new MemoryLayout.PathElement[path.length];
        for (int i = 0; i < path.length; i++) p[i] = groupElement(path[i]);
        return s.byteOffset(p);
    }

    // kvm_run offsets
    static final long RUN_REQUEST_INTERRUPT_WINDOW = off(KVM_RUN, "request_interrupt_window");
    static final long RUN_IMMEDIATE_EXIT = off(KVM_RUN, "immediate_exit");
    static final long RUN_EXIT_REASON = off(KVM_RUN, "exit_reason");
    static final long RUN_READY_FOR_INTERRUPT = off(KVM_RUN, "ready_for_interrupt_injection");
    static final long RUN_IF_FLAG = off(KVM_RUN, "if_flag");
    static final long RUN_IO_DIRECTION = off(KVM_RUN, "exit", "io", "direction");
    static final long RUN_IO_SIZE = off(KVM_RUN, "exit", "io", "size");
    static final long RUN_IO_PORT = off(KVM_RUN, "exit", "io", "port");
    static final long RUN_IO_COUNT = off(KVM_RUN, "exit", "io", "count");
    static final long RUN_IO_DATA_OFFSET = off(KVM_RUN, "exit", "io", "data_offset");
    static final long RUN_MMIO_PHYS_ADDR = off(KVM_RUN, "exit", "mmio", "phys_addr");
    static final long RUN_MMIO_DATA = off(KVM_RUN, "exit", "mmio", "data");
    static final long RUN_MMIO_LEN = off(KVM_RUN, "exit", "mmio", "len");
    static final long RUN_MMIO_IS_WRITE = off(KVM_RUN, "exit", "mmio", "is_write");
    static final long RUN_DEBUG_EXCEPTION = off(KVM_RUN, "exit", "debug", "exception");
    static final long RUN_DEBUG_PC = off(KVM_RUN, "exit", "debug", "pc");
    static final long RUN_DEBUG_DR6 = off(KVM_RUN, "exit", "debug", "dr6");
    static final long RUN_FAIL_ENTRY_REASON = off(KVM_RUN, "exit", "fail_entry", "hardware_entry_failure_reason");
    static final long RUN_INTERNAL_SUBERROR = off(KVM_RUN, "exit", "internal", "suberror");
    static final long RUN_INTERNAL_NDATA = off(KVM_RUN, "exit", "internal", "ndata");
    static final long RUN_INTERNAL_DATA = off(KVM_RUN, "exit", "internal", "data");
    static final long RUN_VALID_REGS = off(KVM_RUN, "kvm_valid_regs");
    static final long RUN_DIRTY_REGS = off(KVM_RUN, "kvm_dirty_regs");
    static final long RUN_SYNC_REGS = off(KVM_RUN, "s", "x86", "regs");
    static final long RUN_SYNC_SREGS = off(KVM_RUN, "s", "x86", "sregs");

    // kvm_regs offsets, in the order of X86Registers.gpr (eax ecx edx ebx esp ebp esi edi)
    static final long[] REGS_GPR = {
            off(KVM_REGS, "rax"), off(KVM_REGS, "rcx"), off(KVM_REGS, "rdx"), off(KVM_REGS, "rbx"),
            off(KVM_REGS, "rsp"), off(KVM_REGS, "rbp"), off(KVM_REGS, "rsi"), off(KVM_REGS, "rdi")};
    static final long REGS_RIP = off(KVM_REGS, "rip");
    static final long REGS_RFLAGS = off(KVM_REGS, "rflags");

    // kvm_sregs offsets; segments in the order of X86Registers.seg (es cs ss ds fs gs)
    static final long[] SREGS_SEG = {
            off(KVM_SREGS, "es"), off(KVM_SREGS, "cs"), off(KVM_SREGS, "ss"),
            off(KVM_SREGS, "ds"), off(KVM_SREGS, "fs"), off(KVM_SREGS, "gs")};
    static final long SREGS_TR = off(KVM_SREGS, "tr");
    static final long SREGS_LDT = off(KVM_SREGS, "ldt");
    static final long SREGS_GDT = off(KVM_SREGS, "gdt");
    static final long SREGS_IDT = off(KVM_SREGS, "idt");
    static final long SREGS_CR0 = off(KVM_SREGS, "cr0");
    static final long SREGS_CR2 = off(KVM_SREGS, "cr2");
    static final long SREGS_CR3 = off(KVM_SREGS, "cr3");
    static final long SREGS_CR4 = off(KVM_SREGS, "cr4");
    static final long SREGS_EFER = off(KVM_SREGS, "efer");

    // kvm_segment / kvm_dtable field offsets
    static final long SEG_BASE = off(KVM_SEGMENT, "base");
    static final long SEG_LIMIT = off(KVM_SEGMENT, "limit");
    static final long SEG_SELECTOR = off(KVM_SEGMENT, "selector");
    static final long SEG_TYPE = off(KVM_SEGMENT, "type");
    static final long SEG_PRESENT = off(KVM_SEGMENT, "present");
    static final long SEG_DPL = off(KVM_SEGMENT, "dpl");
    static final long SEG_DB = off(KVM_SEGMENT, "db");
    static final long SEG_S = off(KVM_SEGMENT, "s");
    static final long SEG_L = off(KVM_SEGMENT, "l");
    static final long SEG_G = off(KVM_SEGMENT, "g");
    static final long SEG_AVL = off(KVM_SEGMENT, "avl");
    static final long SEG_UNUSABLE = off(KVM_SEGMENT, "unusable");
    static final long DTABLE_BASE = off(KVM_DTABLE, "base");
    static final long DTABLE_LIMIT = off(KVM_DTABLE, "limit");

    static final long MEMREG_SLOT = off(KVM_USERSPACE_MEMORY_REGION, "slot");
    static final long MEMREG_FLAGS = off(KVM_USERSPACE_MEMORY_REGION, "flags");
    static final long MEMREG_GPA = off(KVM_USERSPACE_MEMORY_REGION, "guest_phys_addr");
    static final long MEMREG_SIZE = off(KVM_USERSPACE_MEMORY_REGION, "memory_size");
    static final long MEMREG_UADDR = off(KVM_USERSPACE_MEMORY_REGION, "userspace_addr");

    static final long TRANSLATION_LINEAR = off(KVM_TRANSLATION, "linear_address");
    static final long TRANSLATION_PHYSICAL = off(KVM_TRANSLATION, "physical_address");
    static final long TRANSLATION_VALID = off(KVM_TRANSLATION, "valid");

    static final long GUEST_DEBUG_CONTROL = off(KVM_GUEST_DEBUG, "control");
    static final long GUEST_DEBUG_REGS = off(KVM_GUEST_DEBUG, "debugreg");

    // ---- ioctls: system (/dev/kvm), VM, vCPU

    static final long KVM_GET_API_VERSION = io(0x00);
    static final long KVM_CREATE_VM = io(0x01);
    static final long KVM_CHECK_EXTENSION = io(0x03);
    static final long KVM_GET_VCPU_MMAP_SIZE = io(0x04);
    static final long KVM_GET_SUPPORTED_CPUID = iowr(0x05, KVM_CPUID2);
    static final long KVM_SET_CPUID2 = iow(0x90, KVM_CPUID2);
    static final long KVM_CREATE_VCPU = io(0x41);
    static final long KVM_SET_USER_MEMORY_REGION = iow(0x46, KVM_USERSPACE_MEMORY_REGION);
    static final long KVM_SET_TSS_ADDR = io(0x47);
    static final long KVM_SET_IDENTITY_MAP_ADDR = iow(0x48, JAVA_LONG);
    static final long KVM_RUN_IOCTL = io(0x80);
    static final long KVM_GET_REGS = ior(0x81, KVM_REGS);
    static final long KVM_SET_REGS = iow(0x82, KVM_REGS);
    static final long KVM_GET_SREGS = ior(0x83, KVM_SREGS);
    static final long KVM_SET_SREGS = iow(0x84, KVM_SREGS);
    static final long KVM_TRANSLATE = iowr(0x85, KVM_TRANSLATION);
    static final long KVM_INTERRUPT_IOCTL = iow(0x86, KVM_INTERRUPT);
    static final long KVM_SET_GUEST_DEBUG = iow(0x9b, KVM_GUEST_DEBUG);

    /** The only API version there has ever been (KVM_API_VERSION). */
    static final int API_VERSION = 12;

    // ---- capabilities (KVM_CAP_*)

    static final int CAP_USER_MEMORY = 3;
    static final int CAP_SET_TSS_ADDR = 4;
    static final int CAP_NR_MEMSLOTS = 10;
    static final int CAP_SET_GUEST_DEBUG = 23;
    static final int CAP_SET_IDENTITY_MAP_ADDR = 37;
    static final int CAP_SYNC_REGS = 74;
    static final int CAP_READONLY_MEM = 81;
    static final int CAP_IMMEDIATE_EXIT = 136;

    // ---- flags

    static final int MEM_READONLY = 1 << 1;
    static final long SYNC_X86_REGS = 1L << 0;
    static final long SYNC_X86_SREGS = 1L << 1;
    static final int GUESTDBG_ENABLE = 0x1;
    static final int GUESTDBG_SINGLESTEP = 0x2;
    static final int GUESTDBG_USE_SW_BP = 0x10000;
    static final int GUESTDBG_USE_HW_BP = 0x20000;
    static final int EXIT_IO_IN = 0;
    static final int EXIT_IO_OUT = 1;

    // ---- exit reasons (KVM_EXIT_*)

    static final int EXIT_UNKNOWN = 0;
    static final int EXIT_EXCEPTION = 1;
    static final int EXIT_IO = 2;
    static final int EXIT_HYPERCALL = 3;
    static final int EXIT_DEBUG = 4;
    static final int EXIT_HLT = 5;
    static final int EXIT_MMIO = 6;
    static final int EXIT_IRQ_WINDOW_OPEN = 7;
    static final int EXIT_SHUTDOWN = 8;
    static final int EXIT_FAIL_ENTRY = 9;
    static final int EXIT_INTR = 10;
    static final int EXIT_INTERNAL_ERROR = 17;

    /** KVM_INTERNAL_ERROR_* suberrors, indexed by number. */
    static final String[] INTERNAL_SUBERRORS = {
            "0", "emulation failure", "exception while delivering an exception",
            "error while delivering an event", "unexpected exit reason"};

    static String internalSuberror(int s) {
        return s > 0 && s < INTERNAL_SUBERRORS.length ? INTERNAL_SUBERRORS[s] : "suberror " + s;
    }
}
