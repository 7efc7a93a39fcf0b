package dev.trapdoor.cpu;

/**
 * The architectural state the executor works on, in the form that is fast to use: general
 * registers as ints, segment descriptor caches split into arrays, control registers. The layers
 * above (flags, memory, segmentation, interrupts, execution) extend this class so that hot
 * paths read fields directly.
 */
abstract class CpuState {
    static final int EAX = 0, ECX = 1, EDX = 2, EBX = 3, ESP = 4, EBP = 5, ESI = 6, EDI = 7;
    static final int ES = 0, CS = 1, SS = 2, DS = 3, FS = 4, GS = 5;

    // EFLAGS bits (SDM Vol. 1, 3.4.3)
    static final int CF = 1, PF = 1 << 2, AF = 1 << 4, ZF = 1 << 6, SF = 1 << 7, TF = 1 << 8, IF = 1 << 9,
            DF = 1 << 10, OF = 1 << 11, IOPL = 3 << 12, NT = 1 << 14, RF = 1 << 16, VM = 1 << 17, AC = 1 << 18, ID = 1 << 21;
    static final int ARITH_FLAGS = CF | PF | AF | ZF | SF | OF;

    // CR0 bits (SDM Vol. 3A, 2.5)
    static final int CR0_PE = 1, CR0_MP = 2, CR0_EM = 4, CR0_TS = 8, CR0_ET = 16, CR0_NE = 32, CR0_WP = 1 << 16, CR0_PG = 1 << 31;
    static final int CR4_PSE = 1 << 4;

    final int[] gpr = new int[8];
    int eip;
    /** Start of the instruction executing now (faults restart here). */
    int insStart;

    // Segment descriptor caches; access rights in the VMX layout of arch.Segment.
    final int[] segSel = new int[6];
    final int[] segBase = new int[6];
    final long[] segLimit = new long[6];
    final int[] segAccess = new int[6];
    /** Limit used by the fast check: the limit for expand-up segments, -1 (always slow) for expand-down. */
    final long[] segCheckLimit = new long[6];
    /** 1 = readable, 2 = writable; 0 = unusable (null selector). */
    final int[] segRights = new int[6];

    int ldtrSel, ldtrBase, ldtrAccess = 0x82;
    long ldtrLimit = 0xffff;
    int trSel, trBase, trAccess = 0x8b;
    long trLimit = 0xffff;
    int gdtBase, gdtLimit = 0xffff, idtBase, idtLimit = 0xffff;
    int cr0 = 0x60000010, cr2, cr3, cr4;
    long efer;

    int cpl;
    /** CS.D and SS.B: default operand/address size and stack width. */
    boolean code32, stack32;

    long retired;
    /** VMX TSC offset: RDTSC reads retired + tscOffset, so the TSC follows the VM's virtual clock. */
    long tscOffset;
    /** Bumped when the EIP -> physical mapping may change (TLB flush, CS load): block chains older than it are not followed. */
    int translationEpoch;

    boolean protectedMode() {
        return (cr0 & CR0_PE) != 0;
    }

    final int getReg(int r, int size) {
        return switch (size) {
            case 1 -> r < 4 ? gpr[r] & 0xff : (gpr[r - 4] >>> 8) & 0xff;
            case 2 -> gpr[r] & 0xffff;
            default -> gpr[r];
        };
    }

    final void setReg(int r, int size, int v) {
        switch (size) {
            case 1 -> {
                if (r < 4) gpr[r] = (gpr[r] & ~0xff) | (v & 0xff);
                else gpr[r - 4] = (gpr[r - 4] & ~0xff00) | ((v & 0xff) << 8);
            }
            case 2 -> gpr[r] = (gpr[r] & ~0xffff) | (v & 0xffff);
            default -> gpr[r] = v;
        }
    }

    static int mask(int size) {
        return size == 1 ? 0xff : size == 2 ? 0xffff : -1;
    }

    static int signBit(int size) {
        return size == 1 ? 0x80 : size == 2 ? 0x8000 : 0x80000000;
    }

    static int signExtend(int v, int size) {
        return size == 1 ? (byte) v : size == 2 ? (short) v : v;
    }

    /** Recomputes the fast-check fields of segment s from its cache, for the current mode. */
    final void refreshSegment(int s) {
        int a = segAccess[s];
        if (!protectedMode()) {
            segRights[s] = 3;
            segCheckLimit[s] = segLimit[s];
        } else if ((a & arch_UNUSABLE) != 0 || (a & 0x80) == 0) {
            segRights[s] = 0;
            segCheckLimit[s] = segLimit[s];
        } else if ((a & 8) != 0) {          // code: readable if type bit 1
            segRights[s] = (a & 2) != 0 ? 1 : 0;
            segCheckLimit[s] = segLimit[s];
        } else {                            // data: writable if type bit 1, expand-down if bit 2
            segRights[s] = 1 | ((a & 2) != 0 ? 2 : 0);
            segCheckLimit[s] = (a & 4) != 0 ? -1 : segLimit[s];
        }
        if (s == CS) {
            code32 = (a & (1 << 14)) != 0;
            translationEpoch++;
        }
        if (s == SS) stack32 = (a & (1 << 14)) != 0;
    }

    static final int arch_UNUSABLE = dev.trapdoor.arch.Segment.UNUSABLE;

    final void refreshSegments() {
        for (int s = 0; s < 6; s++) refreshSegment(s);
    }
}
