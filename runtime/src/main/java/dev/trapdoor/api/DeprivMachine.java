package dev.trapdoor.api;

import dev.trapdoor.arch.Segment;
import dev.trapdoor.arch.X86Registers;

/**
 * The real protected-mode structures the {@link DeprivilegedMonitor} owns, in a window of guest
 * RAM the guest is told to leave alone: a shadow GDT, an IDT whose gates all lead to tiny ring-0
 * stubs, a TSS whose ESP0 is the monitor's stack and whose I/O bitmap is absent (so every IN/OUT
 * at CPL 3 with IOPL 0 is #GP, SDM Vol. 1, 19.5.2), and the stubs themselves. A stub pushes the
 * vector (and a zero where the CPU pushes no error code) and does OUT to the monitor's private
 * port: that OUT is the VM exit through which every trap reaches the monitor, the way classic
 * software VMMs entered their monitor from the guest's faults.
 *
 * Shadow GDT slots 0-7 mirror the guest's own GDT (data descriptors with DPL forced to 3, code
 * descriptors marked not present so every load of a guest code selector faults into the
 * monitor); slots 8-11 are the monitor's.
 */
final class DeprivMachine {
    static final int GUEST_SLOTS = 8;
    static final int MON_CODE = 0x40, MON_DATA = 0x48, MON_TSS = 0x50, GUEST_CODE = 0x5b;
    static final long GDT = 0x0, IDT = 0x100, TSS = 0x900, STUBS = 0x1000, STACK_TOP = 0x2000;
    /** Bytes of RAM the monitor reserves at its base. */
    static final long SIZE = 0x2000;
    static final int STUB_SIZE = 8;
    /** Vectors with an error code (SDM Vol. 3A, Table 6-1). */
    private static final long ERROR_CODE_VECTORS = (1L << 8) | (1L << 10) | (1L << 11) | (1L << 12) | (1L << 13)
            | (1L << 14) | (1L << 17) | (1L << 21) | (1L << 29) | (1L << 30);
    static final int SYSCALL_VECTOR = 0x80;

    static final long FLAT_CODE_DPL3 = 0x00cffa000000ffffL;
    static final long FLAT_DATA_DPL3 = 0x00cff2000000ffffL;
    private static final long FLAT_CODE_DPL0 = 0x00cf9a000000ffffL;
    private static final long FLAT_DATA_DPL0 = 0x00cf92000000ffffL;

    private final GuestMemory mem;
    final long base;
    final int port;

    DeprivMachine(GuestMemory mem, long base, int port) {
        this.mem = mem;
        this.base = base;
        this.port = port;
    }

    static boolean hasErrorCode(int vector) {
        return vector < 32 && ((ERROR_CODE_VECTORS >>> vector) & 1) != 0;
    }

    /** Writes the tables and stubs; gates for the 32 exception vectors and the system-call vector. */
    void install() {
        for (int i = 0; i < 12; i++) mem.poke64(base + GDT + i * 8L, 0);
        mem.poke64(base + GDT + 0x10, FLAT_DATA_DPL3); // the entry SS/DS until the guest loads its own GDT
        mem.poke64(base + GDT + MON_CODE, FLAT_CODE_DPL0);
        mem.poke64(base + GDT + MON_DATA, FLAT_DATA_DPL0);
        mem.poke64(base + GDT + MON_TSS, systemDescriptor(base + TSS, 103, 0x8b)); // busy 32-bit TSS
        mem.poke64(base + GDT + GUEST_CODE - 3, FLAT_CODE_DPL3);
        for (int i = 0; i < 104; i += 4) mem.poke32(base + TSS + i, 0);
        mem.poke32(base + TSS + 4, base + STACK_TOP);               // ESP0
        mem.poke32(base + TSS + 8, MON_DATA);                       // SS0
        mem.poke16(base + TSS + 102, 104);                          // I/O map base past the limit: no bitmap
        for (int v = 0; v < 256; v++) mem.poke64(base + IDT + v * 8L, 0);
        for (int v = 0; v < 32; v++) installGate(v, 0);
        installGate(SYSCALL_VECTOR, 3);
    }

    /** A 32-bit interrupt gate to the vector's stub; DPL 3 lets INT n from ring 3 use it. */
    private void installGate(int vector, int dpl) {
        long stub = base + STUBS + (long) vector * STUB_SIZE;
        long lo = (stub & 0xffff) | ((long) MON_CODE << 16);
        long hi = (stub & 0xffff0000L) | 0x8e00 | ((long) dpl << 13);
        mem.poke64(base + IDT + vector * 8L, lo | (hi << 32));
        byte[] code = hasErrorCode(vector)
                ? new byte[] {0x6a, (byte) vector, (byte) 0xe6, (byte) port, (byte) 0xeb, (byte) 0xfe, (byte) 0x90, (byte) 0x90}
                : new byte[] {0x6a, 0, 0x6a, (byte) vector, (byte) 0xe6, (byte) port, (byte) 0xeb, (byte) 0xfe};
        mem.write(stub, code);
    }

    boolean isStub(long eip) {
        return eip >= base + STUBS && eip < base + STUBS + 256L * STUB_SIZE;
    }

    /** The real register state that enters the guest kernel at eip: CPL 3, IOPL 0, IF clear. */
    X86Registers entryState(long eip) {
        X86Registers r = X86Registers.flat32((int) eip);
        r.seg[X86Registers.CS].copyFrom(segment(GUEST_CODE, FLAT_CODE_DPL3));
        Segment data = segment(0x13, FLAT_DATA_DPL3);
        for (int s : new int[] {X86Registers.SS, X86Registers.DS, X86Registers.ES, X86Registers.FS, X86Registers.GS})
            r.seg[s].copyFrom(data);
        r.gdtBase = base + GDT;
        r.gdtLimit = 12 * 8 - 1;
        r.idtBase = base + IDT;
        r.idtLimit = 256 * 8 - 1;
        r.tr.selector = MON_TSS;
        r.tr.base = base + TSS;
        r.tr.limit = 103;
        r.tr.access = 0x8b;
        r.eflags = 0x2;
        return r;
    }

    /** Rebuilds shadow slots 0-7 from the guest's GDT after an emulated LGDT. */
    void shadowGdt(DeprivState v, DeprivilegedMonitor.Guest g) {
        for (int i = 0; i < GUEST_SLOTS; i++) {
            long d = 0;
            if (i > 0 && i * 8L + 7 <= v.gdtLimit) {
                long gd = g.read64(v.gdtBase + i * 8L);
                boolean user = (gd & (1L << 44)) != 0;
                boolean code = (gd & (1L << 43)) != 0;
                if (user && code) d = gd & ~(1L << 47);   // not present: a CS load faults into the monitor
                else if (user) d = gd | (3L << 45);       // data: DPL 3 so CPL 3 may load it
            }
            mem.poke64(base + GDT + i * 8L, d);
        }
    }

    /** The real SS for a guest selector: the shadow data descriptor with RPL 3. */
    Segment stackSegment(int guestSelector) {
        int sel = (guestSelector & ~3) | 3;
        long d = (sel >>> 3) < GUEST_SLOTS ? mem.peek64(base + GDT + (sel & ~7)) : 0;
        boolean ok = (d & (1L << 47)) != 0 && (d & (3L << 43)) == (2L << 43) && (d & (1L << 41)) != 0;
        return ok ? segment(sel, d) : null;
    }

    static Segment guestCode() {
        return segment(GUEST_CODE, FLAT_CODE_DPL3);
    }

    /** A segment register's hidden part from a descriptor (SDM Vol. 3A, 3.4.5), VMX access-rights layout. */
    static Segment segment(int selector, long d) {
        Segment s = new Segment();
        s.selector = selector;
        s.base = ((d >>> 16) & 0xffffff) | ((d >>> 32) & 0xff000000L);
        long limit = (d & 0xffff) | ((d >>> 32) & 0xf0000);
        int access = (int) ((d >>> 40) & 0xf0ff); // type, S, DPL, P; AVL, L, D/B, G in bits 12-15
        if ((access & (1 << 15)) != 0) limit = (limit << 12) | 0xfff;
        s.limit = limit;
        s.access = access;
        return s;
    }

    /** A system descriptor (TSS): type byte with P and DPL, byte-granular limit. */
    static long systemDescriptor(long base, long limit, int type) {
        long lo = (limit & 0xffff) | ((base & 0xffff) << 16);
        long hi = ((base >>> 16) & 0xff) | ((long) type << 8) | (limit & 0xf0000) | (base & 0xff000000L);
        return lo | (hi << 32);
    }
}
