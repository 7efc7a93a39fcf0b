package dev.trapdoor.api;

/**
 * The guest's virtual CPU state under the {@link DeprivilegedMonitor}: what the guest kernel
 * believes its privileged state is. The real CPU runs the guest at CPL 3 with IOPL 0 and the
 * monitor's descriptor tables; these fields are what the trapped instructions read and write.
 */
public final class DeprivState {
    /** Virtual EFLAGS.IF: set by emulated STI, cleared by CLI and interrupt gates. */
    boolean interruptFlag;
    /** The privilege level the guest believes it runs at (0 kernel, 3 user). */
    int cpl;
    /** The guest-visible CS and SS selectors (the real ones are the monitor's). */
    int cs = 0x08, ss = 0x10;
    long gdtBase, idtBase;
    int gdtLimit = -1, idtLimit = -1;
    /** The task register as the guest loaded it with LTR (0: none). */
    int tr;
    long cr0 = 0x11, cr2, cr3, cr4;
    /** Virtual interrupts raised and not yet delivered: one bit per vector. */
    final long[] pending = new long[4];

    boolean hasPending() {
        return (pending[0] | pending[1] | pending[2] | pending[3]) != 0;
    }

    /** The highest pending vector, taken out of the set; -1 if none. */
    int takePending() {
        for (int w = 3; w >= 0; w--) {
            if (pending[w] != 0) {
                int bit = 63 - Long.numberOfLeadingZeros(pending[w]);
                pending[w] &= ~(1L << bit);
                return w * 64 + bit;
            }
        }
        return -1;
    }

    /** Whether a virtual interrupt is waiting for the guest to enable interrupts. */
    public boolean isInterruptPending() { return hasPending(); }

    public boolean isInterruptFlag() { return interruptFlag; }
    public int getCpl() { return cpl; }
    public int getCs() { return cs; }
    public int getSs() { return ss; }
    public long getGdtBase() { return gdtBase; }
    public int getGdtLimit() { return gdtLimit; }
    public long getIdtBase() { return idtBase; }
    public int getIdtLimit() { return idtLimit; }
    public int getTr() { return tr; }
    public long getCr0() { return cr0; }
    public long getCr3() { return cr3; }
    public long getCr4() { return cr4; }

    @Override
    public String toString() {
        return String.format("virtual cpl=%d IF=%d cs=%#x ss=%#x gdt=%#x/%#x idt=%#x/%#x tr=%#x cr0=%#x cr3=%#x",
                cpl, interruptFlag ? 1 : 0, cs, ss, gdtBase, gdtLimit, idtBase, idtLimit, tr, cr0, cr3);
    }
}
