package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.IoQualification;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.*;

class RealModeTest {
    @Test
    void printsHiWithOutThenHalts() {
        // mov al,'h'; out 0xe9,al; mov al,'i'; out 0xe9,al; hlt
        try (Guest g = Guest.realMode(0x7c00, Guest.hex("b068 e6e9 b069 e6e9 f4"))) {
            StringBuilder out = new StringBuilder();
            for (int k = 0; k < 2; k++) {
                ExitInfo e = g.run();
                assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
                assertEquals(0xe9, e.port);
                assertEquals(1, e.size);
                assertFalse(e.in);
                assertFalse(e.string);
                assertEquals(0x7c02 + 4 * k, e.rip);
                assertEquals(2, e.instructionLength);
                // SDM Table 28-5: size-1 = 0, OUT, not string, not rep, immediate operand, port in 31:16
                assertEquals((0xe9L << 16) | IoQualification.IMMEDIATE, e.qualification);
                assertEquals(0x7c02 + 4 * k, g.regs().eip, "EIP stays at the pending OUT");
                out.append((char) g.dataByte(0));
            }
            assertEquals("hi", out.toString());
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason);
            assertEquals(0x7c08, e.rip);
            assertEquals(1, e.instructionLength);
            assertEquals(0x7c09, g.regs().eip, "the next run continues after HLT");
            assertEquals(5, g.vcpu.instructionsRetired());
        }
    }

    @Test
    void inCompletesOnTheNextRun() {
        // in al,0x60; mov bl,al; in ax,dx; hlt
        try (Guest g = Guest.realMode(0x7c00, Guest.hex("e460 88c3 ed f4"))) {
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertTrue(e.in);
            assertEquals(0x60, e.port);
            e.data.set(ValueLayout.JAVA_BYTE, 0, (byte) 0x5a);
            e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertEquals(2, e.size);
            assertEquals(IoQualification.DIRECTION_IN | 1, e.qualification & 0xffff);
            e.data.set(ValueLayout.JAVA_SHORT_UNALIGNED, 0, (short) 0x1234);
            assertEquals(ExitReason.HLT, g.run().reason);
            assertEquals(0x5a, g.reg(X86Registers.EBX) & 0xff);
            assertEquals(0x1234, g.reg(X86Registers.EAX) & 0xffff);
        }
    }
}
