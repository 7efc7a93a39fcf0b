package dev.trapdoor.cpu.diff;

/**
 * One differential test case: the register, EFLAGS and scratch-memory state loaded before the
 * test code, the code itself, and which parts of the outcome are architecturally defined.
 */
final class TestCase {
    /** EFLAGS bits compared by default: the six arithmetic flags and DF. */
    static final int COMPARED_FLAGS = Flags.ARITH | Flags.DF;

    final String group;
    final int[] regs = new int[8];
    int eflags = 0x202;
    final byte[] scratch = new byte[Harness.SCRATCH_SIZE];
    byte[] code;
    /** EFLAGS bits the SDM defines after this code (undefined ones cleared). */
    int flagMask = COMPARED_FLAGS;
    /** One bit per GPR whose final value is defined. */
    int regMask = 0xff;
    /** GPRs whose initial value the generator fixed (addresses, counts): later operands must not reuse them as free values. */
    int locked;
    /** False when the test code moves ESP before a memory operand is addressed (POP m32 with an ESP base). */
    boolean espBase = true;
    /** An x87 case: the FNSAVE image is compared too. */
    boolean x87;
    /** Status-word bits the SDM leaves undefined after this case's x87 instruction. */
    int fswUndefined;
    /** Transcendental results compared within X87Outcome.TRANSCENDENTAL_ULPS rather than bit for bit. */
    boolean x87Tolerance;

    TestCase(String group) {
        this.group = group;
    }

    void undefinedFlags(int bits) {
        flagMask &= ~bits;
    }

    void set(int reg, int value) {
        regs[reg] = value;
        locked |= 1 << reg;
    }

    boolean isLocked(int reg) {
        return (locked & (1 << reg)) != 0;
    }
}
