package dev.trapdoor.arch;

/**
 * A segment register with its hidden part (descriptor cache). Access rights use the VMX
 * guest-state layout (SDM Vol. 3C, Table 25-2): type 3:0, S 4, DPL 6:5, P 7, AVL 12, L 13,
 * D/B 14, G 15, unusable 16.
 */
public final class Segment {
    public static final int UNUSABLE = 1 << 16;

    public int selector;
    public long base;
    /** Limit in bytes, already scaled by G. */
    public long limit = 0xffff;
    public int access = 0x93;

    public boolean present() { return (access & 0x80) != 0; }
    public int dpl() { return (access >>> 5) & 3; }
    public boolean big() { return (access & (1 << 14)) != 0; }
    public boolean granularity() { return (access & (1 << 15)) != 0; }
    public int type() { return access & 0xf; }

    /** Real-mode view: base = selector * 16, 64 KiB limit, read/write data (or code for CS). */
    public void realMode(int sel, boolean code) {
        selector = sel & 0xffff;
        base = (long) selector << 4;
        limit = 0xffff;
        access = code ? 0x9b : 0x93;
    }

    /** A flat 4 GiB segment (code or data), 32-bit, DPL 0. */
    public void flat32(int sel, boolean code) {
        selector = sel & 0xffff;
        base = 0;
        limit = 0xffffffffL;
        access = (code ? 0x9b : 0x93) | (1 << 14) | (1 << 15);
    }

    public void copyFrom(Segment s) {
        selector = s.selector;
        base = s.base;
        limit = s.limit;
        access = s.access;
    }

    @Override
    public String toString() {
        return String.format("%04x base=%08x limit=%08x ar=%05x", selector, base, limit, access);
    }
}
