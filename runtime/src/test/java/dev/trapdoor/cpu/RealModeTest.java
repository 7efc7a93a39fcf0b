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

    /**
     * 16-bit code at 0x7c00: set IVT[0x40]; cx=5; bx=0; five near calls to "inc bx; ret" under LOOP;
     * int 0x40 (handler: add bx,100; iret); push imm/pop; pushf/pop; es=0x7e0; mov word es:[di],0xbeef
     * with di=0x100; lea bp,[bx+di+3]; hlt.
     */
    @Test
    void sixteenBitCallsLoopsInterruptsAndSegments() {
        byte[] code = Guest.hex("31c08ed8c7060001357cc70602010000b9050031dbe81b00e2fbcd406834125a9c5ebf0001b8e0078ec0"
                + "26c705efbe8d6903f443c383c364cf");
        try (Guest g = Guest.realMode(0x7c00, code)) {
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message + " at " + Long.toHexString(e.rip) + " " + g.regs().seg[1]);
            assertEquals(0x7c32, e.rip);
            X86Registers r = g.regs();
            assertEquals(105, r.gpr[X86Registers.EBX] & 0xffff);
            assertEquals(0, r.gpr[X86Registers.ECX] & 0xffff);
            assertEquals(0x1234, r.gpr[X86Registers.EDX] & 0xffff);
            assertEquals(2, r.gpr[X86Registers.ESI] & 0x2, "FLAGS bit 1 reads as one");
            assertEquals(0x7000, r.gpr[X86Registers.ESP] & 0xffff, "stack balanced");
            assertEquals(0xbeef, g.memory.read16(0x7e00 + 0x100));
            assertEquals(0x7e00, r.seg[X86Registers.ES].base);
            assertEquals(105 + 0x100 + 3, r.gpr[X86Registers.EBP] & 0xffff);
        }
    }
}
