package dev.trapdoor.cpu;

/**
 * A run of decoded instructions starting at one physical address, ending at a control transfer,
 * an instruction that may exit or change the mode, the end of a page, or {@link #MAX_INSNS}.
 */
final class Block {
    static final int MAX_INSNS = 64;

    final long phys;
    final boolean code32;
    final Insn[] insns;
    final int count;
    /** Physical page of the first byte, and of the bytes past the first page's end (-1 if none: with paging it need not be the next one). */
    final long firstPage, secondPage;
    /** Byte ranges per page for overlap tests: [phys, phys+bytesInFirst) and [secondPage*4K, +bytesInLast). */
    final int bytesInFirst, bytesInLast;
    volatile boolean valid = true;

    // Successor links, valid for one vCPU and one translation epoch (see Cpu.runBlock).
    Object chainOwner;
    int chainEpoch;
    int succEip0, succEip1;
    Block succ0, succ1;

    Block(long phys, boolean code32, Insn[] insns, int count, long firstPage, long secondPage, int bytesInFirst, int bytesInLast) {
        this.phys = phys;
        this.code32 = code32;
        this.insns = insns;
        this.count = count;
        this.firstPage = firstPage;
        this.secondPage = secondPage;
        this.bytesInFirst = bytesInFirst;
        this.bytesInLast = bytesInLast;
    }

    long page(int k) {
        return k == 0 ? firstPage : secondPage;
    }

    int pageCount() {
        return secondPage >= 0 ? 2 : 1;
    }

    boolean overlaps(long gpa, int length) {
        long end = gpa + length;
        if (gpa < phys + bytesInFirst && phys < end) return true;
        if (secondPage >= 0) {
            long start2 = secondPage << 12;
            return gpa < start2 + bytesInLast && start2 < end;
        }
        return false;
    }
}
