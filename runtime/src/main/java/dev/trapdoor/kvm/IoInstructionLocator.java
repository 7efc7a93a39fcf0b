package dev.trapdoor.kvm;

/**
 * Finds the IN/OUT/INS/OUTS instruction behind a KVM_EXIT_IO, which KVM reports only as (port,
 * size, direction, count). Decoding the bytes gives what VMX's exit qualification holds and KVM
 * does not: the instruction's address and length, string, REP and immediate-operand forms
 * (SDM Vol. 3C, Table 28-5).
 *
 * <p>Where RIP stands at the exit depends on the path KVM took: an IN/INS is never retired before
 * user space supplies the data, so RIP is at it; a fast-path OUT (hardware VMX) leaves RIP at it;
 * an OUT that KVM emulated (every OUTS, every OUT under a software KVM such as kvm_pvm, OUT to
 * port 0x7e with KVM's OUT_7E_INC_RIP quirk) is already retired, so RIP is past it, except a REP
 * OUTS with iterations left, which KVM restarts. Past an instruction, {@link #locateBefore}
 * decodes backwards: the shortest byte run that decodes to exactly one matching I/O instruction,
 * extended over prefix bytes in front of it while it still matches. A last byte of the previous
 * instruction that happens to equal a prefix (0x66, 0xf3, a segment override) cannot be told
 * apart from a prefix; that is the one ambiguity left.
 */
final class IoInstructionLocator {
    /** Reads one code byte at a linear address, or returns -1 when it is not readable memory. */
    interface CodeReader {
        int byteAt(long linear);
    }

    private static final int MAX_LENGTH = 15; // SDM Vol. 2A, 2.3.11

    // The last decode (reused; no allocation on the exit path).
    int length;
    boolean in;
    boolean string;
    boolean rep;
    boolean immediate;
    boolean addressSize32;
    int size;
    int immediatePort;

    /**
     * Decodes an I/O instruction at linear, with the default operand and address size given by
     * CS.D (big). Returns false when the bytes there are not one.
     */
    boolean decode(CodeReader code, long linear, boolean big) {
        boolean opsize = false, addrsize = false, repPrefix = false;
        int n = 0;
        int op;
        while (true) {
            if (n >= MAX_LENGTH) return false;
            int b = code.byteAt(linear + n);
            if (b < 0) return false;
            if (b == 0x66) opsize = true;
            else if (b == 0x67) addrsize = true;
            else if (b == 0xf2 || b == 0xf3) repPrefix = true;
            else if (!isSegmentOrLock(b)) {
                op = b;
                break;
            }
            n++;
        }
        n++;
        int wide = big != opsize ? 4 : 2;
        switch (op) {
            case 0xe4, 0xe5, 0xe6, 0xe7 -> { in = op <= 0xe5; string = false; immediate = true; size = (op & 1) == 0 ? 1 : wide; }
            case 0xec, 0xed, 0xee, 0xef -> { in = op <= 0xed; string = false; immediate = false; size = (op & 1) == 0 ? 1 : wide; }
            case 0x6c, 0x6d, 0x6e, 0x6f -> { in = op <= 0x6d; string = true; immediate = false; size = (op & 1) == 0 ? 1 : wide; }
            default -> { return false; }
        }
        if (immediate) {
            int p = code.byteAt(linear + n);
            if (p < 0) return false;
            immediatePort = p;
            n++;
        }
        if (n > MAX_LENGTH) return false;
        rep = string && repPrefix;
        addressSize32 = big != addrsize;
        length = n;
        return true;
    }

    /** Whether the last decode is the access KVM reported (dx is the guest's DX at the exit). */
    boolean matches(boolean isIn, int accessSize, int port, long dx, int count) {
        if (in != isIn || size != accessSize) return false;
        if (count > 1 && !string) return false;
        return immediate ? immediatePort == port : (dx & 0xffff) == port;
    }

    /**
     * Finds the matching I/O instruction that ends right before end. Returns its start, or -1
     * (then the last decode is meaningless).
     */
    long locateBefore(CodeReader code, long end, boolean big, boolean isIn, int accessSize, int port, long dx, int count) {
        int found = 0;
        for (int len = 1; len <= MAX_LENGTH; len++) {
            if (decode(code, end - len, big) && length == len && matches(isIn, accessSize, port, dx, count)) {
                found = len;
                break;
            }
        }
        if (found == 0) return -1;
        while (found < MAX_LENGTH && isPrefix(code.byteAt(end - found - 1))
                && decode(code, end - found - 1, big) && length == found + 1 && matches(isIn, accessSize, port, dx, count)) {
            found++;
        }
        decode(code, end - found, big);
        return end - found;
    }

    private static boolean isSegmentOrLock(int b) {
        return b == 0x26 || b == 0x2e || b == 0x36 || b == 0x3e || b == 0x64 || b == 0x65 || b == 0xf0;
    }

    private static boolean isPrefix(int b) {
        return b == 0x66 || b == 0x67 || b == 0xf2 || b == 0xf3 || isSegmentOrLock(b);
    }
}
