package dev.trapdoor.arch;

/**
 * The architectural register file of one IA-32 vCPU, as scripts and backends exchange it.
 * Backends keep their own fast representation (lazy flags, KVM's structs) and copy to and from
 * this one at exits and entries.
 */
public final class X86Registers {
    public static final int EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
    public static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;
    public static final String[] GPR_NAMES = {"eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"};
    public static final String[] SEG_NAMES = {"es", "cs", "ss", "ds", "fs", "gs"};

    public final int[] gpr = new int[8];
    public int eip;
    public int eflags = 0x2;
    public final Segment[] seg = {new Segment(), new Segment(), new Segment(), new Segment(), new Segment(), new Segment()};
    public final Segment ldtr = new Segment();
    public final Segment tr = new Segment();
    public long gdtBase, idtBase;
    public int gdtLimit = 0xffff, idtLimit = 0xffff;
    public long cr0 = 0x60000010L, cr2, cr3, cr4, efer;

    /** The reset state of the SDM's Table 9-1, except that CS:IP is given by the loader. */
    public static X86Registers realMode(int cs, int ip) {
        X86Registers r = new X86Registers();
        for (int i = 0; i < 6; i++) r.seg[i].realMode(0, false);
        r.seg[CS].realMode(cs, true);
        r.eip = ip;
        r.ldtr.access = 0x82;
        r.ldtr.limit = 0xffff;
        r.tr.access = 0x8b;
        r.tr.limit = 0xffff;
        return r;
    }

    /** Flat 32-bit protected mode, paging off: CS=0x08 code, the rest 0x10 data, as multiboot and Linux's 32-bit entry expect. */
    public static X86Registers flat32(int eip) {
        X86Registers r = realMode(0, 0);
        for (int i = 0; i < 6; i++) r.seg[i].flat32(0x10, false);
        r.seg[CS].flat32(0x08, true);
        r.cr0 = 0x11; // PE | ET
        r.eip = eip;
        return r;
    }

    public boolean protectedMode() { return (cr0 & 1) != 0; }

    public void copyFrom(X86Registers o) {
        System.arraycopy(o.gpr, 0, gpr, 0, 8);
        eip = o.eip;
        eflags = o.eflags;
        for (int i = 0; i < 6; i++) seg[i].copyFrom(o.seg[i]);
        ldtr.copyFrom(o.ldtr);
        tr.copyFrom(o.tr);
        gdtBase = o.gdtBase;
        gdtLimit = o.gdtLimit;
        idtBase = o.idtBase;
        idtLimit = o.idtLimit;
        cr0 = o.cr0;
        cr2 = o.cr2;
        cr3 = o.cr3;
        cr4 = o.cr4;
        efer = o.efer;
    }

    public X86Registers copy() {
        X86Registers r = new X86Registers();
        r.copyFrom(this);
        return r;
    }
}
