package dev.trapdoor.trace;

import java.util.List;

/** A small exit stream of every shape the formats distinguish. */
final class TraceFixtures {
    private TraceFixtures() { }

    static ExitRecord io(long seq, int vcpu, long vt, int port, boolean in, long value) {
        // Qualification per SDM Table 28-5: size-1 in bits 2:0, direction bit 3, port in 31:16.
        long qual = ((long) port << 16) | (in ? 8 : 0);
        return new ExitRecord(seq, vcpu, "IO_INSTRUCTION", 30, qual, 0x1000 + seq, 1, vt, port, 1, in, value, 1, 0, 0, -1, -1, "");
    }

    static List<ExitRecord> stream() {
        return List.of(
                io(1, 0, 1_500, 0x3f8, false, 'H'),
                io(2, 0, 4_000, 0x3fd, true, 0x60),
                new ExitRecord(3, 0, "EPT_VIOLATION", 48, 0x182, 0x1010, 0, 9_250, 0, 4, false, 0xdeadbeefL, 1,
                        0xfee000b0L, 0xfee000b0L, -1, -1, ""),
                new ExitRecord(1, 1, "CPUID", 10, 0, 0x2000, 2, 2_000, 0, 0, false, 0, 1, 0, 0, -1, -1, ""),
                new ExitRecord(4, 0, "EXCEPTION_NMI", 0, 0, 0x1020, 0, 12_000, 0, 0, false, 0, 1, 0, 0, 13, 0x18, ""),
                new ExitRecord(2, 1, "EPT_VIOLATION", 48, 0x81, 0x2004, 0, 12_000, 0, 0, false, 0, 1, 0x7fff_f000_0000L, 0, -1, -1, ""),
                new ExitRecord(3, 1, "INTERNAL_ERROR", 0x10000, 0, 0x2008, 0, 15_001, 0, 0, false, 0, 1, 0, 0, -1, -1,
                        "unimplemented opcode \"0f 0b\"\nat 0x2008"),
                new ExitRecord(5, 0, "HLT", 12, 0, 0xffff_ffffL, 1, ExitRecord.NO_TIME, 0, 0, false, 0, 1, 0, 0, -1, -1, ""));
    }
}
