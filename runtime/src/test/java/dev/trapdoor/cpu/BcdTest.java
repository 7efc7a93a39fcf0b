package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Decimal-adjust instructions. Expected AX and flags come from running the same sequence as a
 * 32-bit program on the host CPU (these opcodes do not exist in 64-bit mode); masks keep the
 * flags the SDM defines: DAA/DAS all but OF, AAA/AAS CF and AF, AAM/AAD SF, ZF, PF.
 */
class BcdTest {
    @ParameterizedTest(name = "{0} ax={2} cf={3} af={4}")
    @CsvSource({
            "daa, 27,   0079, false, false, 0079, 0202, 0d5",
            "daa, 27,   009a, false, false, 0000, 0257, 0d5",
            "daa, 27,   0015, true,  true,  007b, 0217, 0d5",
            "daa, 27,   00a5, false, false, 0005, 0207, 0d5",
            "das, 2f,   0000, false, false, 0000, 0246, 0d5",
            "das, 2f,   009f, false, false, 0039, 0a17, 0d5",
            "das, 2f,   0015, true,  true,  00af, 0297, 0d5",
            "aaa, 37,   000b, false, false, 0101, 0217, 011",
            "aaa, 37,   0105, false, true,  020b, 0213, 011",
            "aas, 3f,   020b, false, false, 0105, 0217, 011",
            "aas, 3f,   0005, false, false, 0005, 0206, 011",
            "aam, d40a, 004f, false, false, 0709, 0206, 0c4",
            "aad, d50a, 0709, false, false, 004f, 0202, 0c4",
    })
    void matchesTheHost(String name, String op, String ax, boolean cf, boolean af, String expectAx, String flags, String mask) {
        String setAf = af ? "b30f 80c301" : "30db";
        String code = "b8" + AluFlagsTest.le(Integer.parseInt(ax, 16)) + setAf + (cf ? "f9" : "f8") + op + "9c 5a f4";
        try (Guest g = Guest.flat32(0x1000, Guest.hex(code))) {
            assertEquals(ExitReason.HLT, g.run().reason);
            X86Registers r = g.regs();
            int m = Integer.parseInt(mask, 16);
            assertEquals(Integer.parseInt(expectAx, 16), r.gpr[X86Registers.EAX] & 0xffff, name + " AX");
            assertEquals(Integer.toHexString(Integer.parseInt(flags, 16) & m), Integer.toHexString(r.gpr[X86Registers.EDX] & m), name + " flags");
        }
    }

    @Test
    void aamByZeroIsDivideError() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex("d400 f4"))) {
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1);
            assertEquals(0, g.run().vector);
        }
    }

    @Test
    void cmpxchg8bAndMsrExits() {
        // mov esi,0x2000; xor eax,eax; xor edx,edx; mov ebx,0x11; mov ecx,0x22; cmpxchg8b [esi]; setz bl(=>bh?) ; rdmsr
        try (Guest g = Guest.flat32(0x1000, Guest.hex("be00200000 31c0 31d2 bb11000000 b922000000 0fc70e 0f94c7 0f32 f4"))) {
            ExitReason reason = g.run().reason;
            assertEquals(ExitReason.RDMSR, reason);
            assertEquals(0x11, g.memory.read32(0x2000));
            assertEquals(0x22, g.memory.read32(0x2004));
            assertEquals(1, (g.reg(X86Registers.EBX) >>> 8) & 0xff, "ZF set: equal");
            assertEquals(2, g.exit.instructionLength);
            assertEquals(g.exit.rip, g.regs().eip, "EIP stays at RDMSR for the handler");
        }
    }
}
