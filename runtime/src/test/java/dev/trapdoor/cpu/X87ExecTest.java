package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/** The x87 escapes as the CPU runs them: operand sizes, flags, #NM, #MF and FERR#, FXSAVE/FNSAVE images. */
class X87ExecTest {
    /**
     * Assembled with as --32 (offsets from 0x1000):
     * <pre>
     *  0: fldl 0x2000; fadds 0x2008; fiaddl 0x200c; fimuls 0x2014; fstpl 0x2020; fnstsw %ax; hlt
     * 21: fld1; fldz; fcomi %st(1),%st; setb %bl; fcmovb %st(1),%st; fucomip %st(1),%st; sete %bh; fstp %st(0)
     *     flds 0x2030; fistpl 0x2034; fldcw 0x2038; flds 0x2030; fistpl 0x203c; fnstcw 0x2040; fnstsw %ax; hlt
     * 5a: fldcw 0x2048; fld1; fldz; fdivrp %st,%st(1); fld1; hlt
     * 69: fnclex; hlt
     * </pre>
     */
    static final String PROGRAM = "dd0500200000d80508200000da050c200000de0d14200000dd1d20200000dfe0f4d9e8d9eedbf10f92c3dac1dfe90f94c7dd"
            + "d8d90530200000db1d34200000d92d38200000d90530200000db1d3c200000d93d40200000dfe0f4d92d48200000d9e8d9eedef9d9e8f4dbe2f4";

    private static Guest guest(String code, boolean ne) {
        Guest g = Guest.flat32(0x1000, Guest.hex(code));
        X86Registers r = g.regs();
        r.cr0 = ne ? r.cr0 | 0x20 : r.cr0 & ~0x20L;
        g.vcpu.setRegisters(r);
        g.memory.write64(0x2000, Double.doubleToRawLongBits(1.5));
        g.memory.write32(0x2008, Float.floatToRawIntBits(2.25f));
        g.memory.write32(0x200c, 7);
        g.memory.write16(0x2014, (short) -2);
        g.memory.write32(0x2030, Float.floatToRawIntBits(2.5f));
        g.memory.write16(0x2038, (short) 0x0b7f); // round up
        g.memory.write16(0x2048, (short) 0x037b); // zero-divide unmasked
        return g;
    }

    @Test
    void memoryOperandsOfEverySizeAndTheStatusWord() {
        try (Guest g = guest(PROGRAM, true)) {
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(-21.5, Double.longBitsToDouble(g.memory.read64(0x2020)));
            assertEquals(0, g.reg(X86Registers.EAX) & 0xffff, "TOP back at 0, no exception flags");
        }
    }

    @Test
    void fcomiSetsEflagsFcmovMovesAndFistRoundsByTheControlWord() {
        try (Guest g = guest(PROGRAM, true)) {
            X86Registers r = g.regs();
            r.eip = 0x1021;
            g.vcpu.setRegisters(r);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            int ebx = g.reg(X86Registers.EBX);
            assertEquals(1, ebx & 0xff, "fcomi: 0 < 1 sets CF");
            assertEquals(1, (ebx >>> 8) & 0xff, "fcmovb copied 1.0, so fucomip found them equal");
            assertEquals(2, g.memory.read32(0x2034), "2.5 rounds to even");
            assertEquals(3, g.memory.read32(0x203c), "2.5 rounds up under RC = 10b");
            assertEquals(0x0b7f, g.memory.read16(0x2040) & 0xffff);
            assertEquals(0, g.reg(X86Registers.EAX) & 0x3800, "the stack is empty again");
            assertEquals(0xff, g.vcpu.fpu().abridgedTag() ^ 0xff);
        }
    }

    @Test
    void unmaskedExceptionRaisesMfOnTheNextWaitingInstructionWithCr0Ne() {
        try (Guest g = guest(PROGRAM, true)) {
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 16);
            X86Registers r = g.regs();
            r.eip = 0x105a;
            g.vcpu.setRegisters(r);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason, e.message);
            assertEquals(16, e.vector);
            assertEquals(0x1066, e.rip, "#MF is taken at the fld1 after the fdivrp");
            assertEquals(-1, e.errorCode);
            assertTrue(g.vcpu.fpu().pendingException());
            assertFalse(g.vcpu.ferrAsserted());
        }
    }

    @Test
    void withoutCr0NeAWaitingInstructionAssertsFerrUntilTheExceptionIsCleared() {
        try (Guest g = guest(PROGRAM, false)) {
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 16);
            X86Registers r = g.regs();
            r.eip = 0x105a;
            g.vcpu.setRegisters(r);
            assertFalse(g.vcpu.ferrAsserted());
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, "no #MF with CR0.NE = 0");
            assertEquals(0x1068, e.rip);
            assertTrue(g.vcpu.ferrAsserted());
            e = g.run();
            assertEquals(ExitReason.HLT, e.reason);
            assertFalse(g.vcpu.ferrAsserted(), "fnclex clears ES and FERR#");
        }
    }

    @Test
    void cr0EmAndTsRaiseDeviceNotAvailable() {
        for (long bits : new long[] {0x4, 0x8}) {
            try (Guest g = guest(PROGRAM, true)) {
                g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 7);
                X86Registers r = g.regs();
                r.cr0 |= bits;
                g.vcpu.setRegisters(r);
                ExitInfo e = g.run();
                assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
                assertEquals(7, e.vector);
                assertEquals(0x1000, e.rip);
            }
        }
    }

    /**
     * <pre>
     *  0: fld1; fldpi; fxsave 0x3000; fninit; fxrstor 0x3000; fnstsw %ax; hlt
     * 17: fxsave 0x3008; hlt
     * 1f: fnsave 0x3400; fnstsw %ax; hlt
     * 28: frstor 0x3400; fnstenv 0x3500; hlt
     * 35: fwait; hlt
     * </pre>
     */
    static final String STATE = "d9e8d9eb0fae0500300000dbe30fae0d00300000dfe0f40fae0508300000f4dd3500340000dfe0f4dd2500340000d935"
            + "00350000f49bf4";

    @Test
    void fxsaveAndFnsaveImagesRoundTripAndFxsaveNeedsSixteenByteAlignment() {
        try (Guest g = guest(STATE, true)) {
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", (1 << 13) | (1 << 7) | (1 << 6));
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(6 << 11, g.reg(X86Registers.EAX) & 0x3800, "two values pushed: TOP = 6 after fxrstor");
            assertEquals(0x037f, g.memory.read16(0x3000) & 0xffff, "FCW");
            assertEquals(0xc0, g.memory.read8(0x3004) & 0xff, "abridged tag: physical registers 6 and 7 in use");
            assertEquals(0x4000, g.memory.read16(0x3000 + 32 + 8) & 0xffff, "ST(0) = pi: exponent 0x4000");
            assertEquals(0xc90fdaa22168c235L, g.memory.read64(0x3000 + 32));
            assertEquals(0x3fff, g.memory.read16(0x3000 + 48 + 8) & 0xffff, "ST(1) = 1.0");
            assertEquals(0, g.vcpu.fpu().stSe(1) ^ 0x3fff);

            e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
            assertEquals(13, e.vector, "misaligned FXSAVE area");
            assertEquals(0, e.errorCode);
            assertEquals(0x1017, e.rip);

            X86Registers r = g.regs();
            r.eip = 0x101f;
            g.vcpu.setRegisters(r);
            e = g.run();
            assertEquals(ExitReason.HLT, e.reason);
            assertEquals(0, g.reg(X86Registers.EAX) & 0xffff, "FNSAVE reinitialises the FPU");
            assertEquals(0x0fff, g.memory.read16(0x3400 + 8) & 0xffff, "tag word: physical registers 6 and 7 valid, the rest empty");
            assertEquals(0x4000, g.memory.read16(0x3400 + 28 + 8) & 0xffff, "ST(0) follows the 28-byte environment");

            e = g.run();
            assertEquals(ExitReason.HLT, e.reason);
            assertEquals(6 << 11, g.memory.read16(0x3500 + 4) & 0x3800, "frstor brought TOP = 6 back");
            assertEquals(0x037f, g.memory.read16(0x3500) & 0xffff, "FCW in the environment");
            assertEquals(0x0fff, g.memory.read16(0x3500 + 8) & 0xffff, "and the tag word frstor restored");

            r = g.regs();
            r.cr0 |= 0x2 | 0x8; // MP and TS
            r.eip = 0x1035;
            g.vcpu.setRegisters(r);
            e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
            assertEquals(7, e.vector, "WAIT with MP and TS");
            r = g.regs();
            r.cr0 = (r.cr0 & ~0x8L) | 0x4; // EM
            r.eip = 0x1017;
            g.vcpu.setRegisters(r);
            e = g.run();
            assertEquals(6, e.vector, "FXSAVE with CR0.EM is #UD");
        }
    }
}
