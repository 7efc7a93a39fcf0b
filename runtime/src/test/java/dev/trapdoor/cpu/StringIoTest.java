package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.IoQualification;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class StringIoTest {
    /** mov esi,0x2000; mov ecx,len; mov dx,0xe9; rep outsb; hlt (rep outsb at 0x100e). */
    static byte[] repOutsb(int len) {
        return Guest.hex("be00200000 b9" + AluFlagsTest.le(len) + "66bae900 f36e f4");
    }

    @Test
    void repOutsbMovesTheWholeStringInOneExit() {
        String msg = "Hello, world!\n";
        try (Guest g = Guest.flat32(0x1000, repOutsb(msg.length()))) {
            g.memory.write(0x2000, msg.getBytes(StandardCharsets.US_ASCII));
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertEquals(0xe9, e.port);
            assertEquals(1, e.size);
            assertTrue(e.string);
            assertTrue(e.rep);
            assertFalse(e.in);
            assertEquals(msg.length(), e.count);
            assertEquals(msg, g.dataString());
            assertEquals(0x100e, e.rip);
            assertEquals(2, e.instructionLength);
            assertEquals(0x2000, e.guestLinear);
            assertEquals((0xe9L << 16) | IoQualification.STRING | IoQualification.REP, e.qualification);
            assertEquals(ExitReason.HLT, g.run().reason);
            X86Registers r = g.regs();
            assertEquals(0, r.gpr[X86Registers.ECX]);
            assertEquals(0x2000 + msg.length(), r.gpr[X86Registers.ESI]);
        }
    }

    @Test
    void longRepOutsbComesInFourKilobyteChunksWithEipOnTheInstruction() {
        try (Guest g = Guest.flat32(0x1000, repOutsb(5000))) {
            ExitInfo e = g.run();
            assertEquals(4096, e.count);
            e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertEquals(904, e.count);
            assertEquals(0x100e, g.regs().eip);
            assertEquals(904, g.reg(X86Registers.ECX));
            assertEquals(0x2000 + 4096, e.guestLinear);
            assertEquals(ExitReason.HLT, g.run().reason);
            assertEquals(5, g.vcpu.instructionsRetired(), "three movs, rep outsb once, hlt");
        }
    }

    @Test
    void repInswWritesGuestMemoryOnTheNextRun() {
        // mov edi,0x3000; mov ecx,3; mov dx,0x1f0; rep insw; hlt
        try (Guest g = Guest.flat32(0x1000, Guest.hex("bf00300000 b903000000 66baf001 f3666d f4"))) {
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertTrue(e.in);
            assertEquals(2, e.size);
            assertEquals(3, e.count);
            assertEquals(0x1f0, e.port);
            for (int k = 0; k < 3; k++) e.data.set(ValueLayout.JAVA_SHORT_UNALIGNED, 2L * k, (short) (0x1111 * (k + 1)));
            assertEquals(0, g.memory.read16(0x3000), "nothing written before completion");
            assertEquals(ExitReason.HLT, g.run().reason);
            assertEquals(0x1111, g.memory.read16(0x3000));
            assertEquals(0x3333, g.memory.read16(0x3004));
            assertEquals(0x3006, g.reg(X86Registers.EDI));
            assertEquals(0, g.reg(X86Registers.ECX));
        }
    }

    @Test
    void repStosAndMovsAndScas() {
        // mov edi,0x4000; mov ecx,8; mov eax,0x41; rep stosb; mov esi,0x4000; mov edi,0x5000; mov ecx,2; rep movsl;
        // mov edi,0x4000; mov ecx,8; mov al,0x41; repe scasb; hlt
        byte[] code = Guest.hex("bf00400000 b908000000 b841000000 f3aa be00400000 bf00500000 b902000000 f3a5"
                + " bf00400000 b908000000 b041 f3ae f4");
        try (Guest g = Guest.flat32(0x1000, code)) {
            assertEquals(ExitReason.HLT, g.run().reason);
            assertEquals(0x41414141, g.memory.read32(0x5004));
            assertEquals(0, g.reg(X86Registers.ECX), "repe scasb ran to the end: all equal");
            assertEquals(0x4008, g.reg(X86Registers.EDI));
        }
    }
}
