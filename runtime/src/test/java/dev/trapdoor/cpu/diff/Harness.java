package dev.trapdoor.cpu.diff;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Lays out a batch of test cases as one flat 32-bit image that runs the same way as a Linux
 * i386 user process and under the interpreter (flat segments, paging off):
 *
 * <pre>
 *   BASE + 0x000  ELF header and program header (native runs)
 *   BASE + 0x200  dump record: EAX..EDI, EFLAGS, scratch copy, FNSAVE image  (RECORD_SIZE bytes)
 *   BASE + 0x400  stack, growing down from STACK_TOP
 *   BASE + 0xc20  scratch area the memory operands address (SCRATCH_SIZE bytes)
 *   BASE + 0x1000 initial scratch contents, one block per case
 *   then          code: per case, FNINIT, load scratch, EFLAGS (PUSH imm32; POPF) and the GPRs, run the
 *                 test code, store GPRs and EFLAGS, FNSAVE the x87 state (the 108-byte 32-bit
 *                 protected-mode image, SDM Vol. 1, 8.1.10) and copy the scratch area into the record,
 *                 write(1, record, RECORD_SIZE) through INT 80h; at the end exit(0)
 * </pre>
 *
 * ESP is fixed at STACK_TOP so that a SIB form with ESP as base reaches the scratch area with
 * an 8-bit displacement and PUSHF in the dump has a stack.
 */
final class Harness {
    static final int BASE = 0x08048000;
    static final int RECORD = BASE + 0x200;
    static final int STACK_TOP = BASE + 0xc00;
    static final int SCRATCH = BASE + 0xc20;
    static final int SCRATCH_SIZE = 128;
    static final int INIT = BASE + 0x1000;
    static final int FPU_IMAGE = 108;
    static final int RECORD_FPU = RECORD + 36 + SCRATCH_SIZE;
    static final int RECORD_SIZE = 36 + SCRATCH_SIZE + FPU_IMAGE;

    /** The image: bytes loaded at BASE, the entry point, and each case's first code byte (plus the end). */
    record Image(byte[] bytes, int entry, int[] caseStarts) {}

    private Harness() {}

    static Image build(List<TestCase> cases) {
        int codeStart = align(INIT + cases.size() * SCRATCH_SIZE - BASE, 0x1000);
        Code code = new Code();
        int[] starts = new int[cases.size() + 1];
        for (int k = 0; k < cases.size(); k++) {
            starts[k] = BASE + codeStart + code.length();
            emitCase(code, cases.get(k), INIT + k * SCRATCH_SIZE);
        }
        starts[cases.size()] = BASE + codeStart + code.length();
        code.movImm(0, 1).movImm(3, 0).b(0xcd, 0x80); // exit(0)
        byte[] text = code.toArray();
        byte[] image = new byte[align(codeStart + text.length, 0x1000)];
        for (int k = 0; k < cases.size(); k++) {
            byte[] s = cases.get(k).scratch;
            System.arraycopy(s, 0, image, INIT - BASE + k * SCRATCH_SIZE, s.length);
        }
        System.arraycopy(text, 0, image, codeStart, text.length);
        int entry = BASE + codeStart;
        Elf32.writeHeaders(image, BASE, entry);
        return new Image(image, entry, starts);
    }

    private static void emitCase(Code c, TestCase t, int init) {
        c.b(0xdb, 0xe3);                                                                        // fninit
        c.b(0xfc).movImm(6, init).movImm(7, SCRATCH).movImm(1, SCRATCH_SIZE / 4).b(0xf3, 0xa5); // cld; rep movsd
        c.movImm(4, STACK_TOP).b(0x68).d(t.eflags).b(0x9d);                                   // push imm32; popf
        for (int r = 0; r < 8; r++) c.movImm(r, t.regs[r]);
        c.bytes(t.code);
        for (int r = 0; r < 8; r++) c.storeAbs(r, RECORD + 4 * r);
        c.b(0x9c).b(0x8f, 0x05).d(RECORD + 32);                                                // pushf; pop [rec+32]
        c.b(0xdd, 0x35).d(RECORD_FPU);                                                         // fnsave [rec+164]
        c.b(0xfc).movImm(6, SCRATCH).movImm(7, RECORD + 36).movImm(1, SCRATCH_SIZE / 4).b(0xf3, 0xa5);
        c.movImm(0, 4).movImm(3, 1).movImm(1, RECORD).movImm(2, RECORD_SIZE).b(0xcd, 0x80);    // write(1, rec, size)
    }

    private static int align(int v, int a) {
        return (v + a - 1) & -a;
    }

    /** The state after one case, parsed from its dump record. */
    record Outcome(int[] regs, int eflags, byte[] scratch, byte[] fpu, int fault) {
        static Outcome parse(byte[] rec, int off) {
            ByteBuffer b = ByteBuffer.wrap(rec, off, RECORD_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            int[] r = new int[8];
            for (int i = 0; i < 8; i++) r[i] = b.getInt();
            int fl = b.getInt();
            byte[] s = new byte[SCRATCH_SIZE];
            b.get(s);
            byte[] f = new byte[FPU_IMAGE];
            b.get(f);
            return new Outcome(r, fl, s, f, -1);
        }

        static Outcome faulted(int vector) {
            return new Outcome(new int[8], 0, new byte[SCRATCH_SIZE], new byte[FPU_IMAGE], vector);
        }
    }
}
