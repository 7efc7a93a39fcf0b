package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;

import static dev.trapdoor.arch.X86Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * DR0-DR7 as SDM Vol. 3B, chapter 17 describes them, in flat 32-bit protected mode. The #DB
 * handler at 0x3000 counts in ESI, saves DR6 in EDI, the return EIP in EBP, DR7 in EBX and the
 * pushed EFLAGS in EDX, sets RF in the frame and returns.
 */
class DebugRegistersTest {
    private static final int L0 = 1, L1 = 1 << 2, GD = 1 << 13;
    private static final String HANDLER = "46 0f21f7 8b2c24 0f21fb 8b542408 814c240800000100 cf";

    private static int rw(int n, int rw, int lenBits) {
        return (rw << (16 + 4 * n)) | (lenBits << (18 + 4 * n));
    }

    private static String imm(int v) {
        return String.format("%02x%02x%02x%02x", v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24);
    }

    /** mov eax,dr0; mov dr0,eax; mov eax,dr1; mov dr1,eax; mov eax,dr7; mov dr7,eax (24 bytes; the tests then put two NOPs before their body). */
    private static String prologue(int dr0, int dr1, int dr7) {
        return "b8" + imm(dr0) + "0f23c0 b8" + imm(dr1) + "0f23c8 b8" + imm(dr7) + "0f23f8";
    }

    private static final int BODY = 0x1000 + 26;

    private static Guest guest(String code) {
        Guest g = Guest.flat32(0x1000, Guest.hex(code));
        g.memory.write(0x3000, Guest.hex(HANDLER));
        ProtectedModeTest.gate(g, 0x2000, 1, 0x3000, 0x8e);
        ProtectedModeTest.setupIdt(g, 0x2000, 0x7ff);
        ProtectedModeTest.setupGdt(g);
        return g;
    }

    private static X86Registers runToHlt(Guest g) {
        ExitInfo e = g.run();
        assertEquals(ExitReason.HLT, e.reason, e.message + " at " + Long.toHexString(e.rip));
        return g.regs();
    }

    @Test
    void instructionBreakpointIsAFaultAndRfResumesPastIt() {
        // body: inc ebx; nop; nop; inc ecx (breakpoint); hlt
        int target = BODY + 3;
        try (Guest g = guest(prologue(target, 0, L0) + "9090 43 9090 41 f4")) {
            X86Registers r = runToHlt(g);
            assertEquals(1, r.gpr[ESI], "one #DB");
            assertEquals(1, r.gpr[ECX], "the instruction ran once, after the handler");
            assertEquals(1, r.gpr[EDI] & 0xf, "DR6.B0");
            assertEquals(target, r.gpr[EBP], "a fault: the handler returns to the instruction");
            assertEquals(0, r.gpr[EDX] & 0x10000, "an instruction breakpoint pushes RF as it was (0)");
            assertEquals(0, r.eflags & 0x10000, "RF is cleared once the instruction completes");
        }
    }

    @Test
    void writeBreakpointIsATrapAfterTheWriteAndIgnoresReads() {
        // mov eax,[0x6000]; mov dword [0x6002],0x55; inc ecx; hlt
        try (Guest g = guest(prologue(0, 0x6000, L1 | rw(1, 1, 3)) + "9090 a100600000 c7050260000055000000 41 f4")) {
            X86Registers r = runToHlt(g);
            assertEquals(1, r.gpr[ESI], "the read did not trigger, the write did");
            assertEquals(2, r.gpr[EDI] & 0xf, "DR6.B1 only");
            assertEquals(0, r.gpr[EDI] & 0x4000, "no BS");
            assertEquals(BODY + 5 + 10, r.gpr[EBP], "a trap: the handler returns after the write");
            assertEquals(0x55, g.memory.read32(0x6002));
            assertEquals(1, r.gpr[ECX]);
        }
    }

    @Test
    void readWriteBreakpointAlignsToItsLength() {
        // DR0 = 0x6005 with LEN 4 covers 0x6004-0x6007. mov al,[0x6008]; mov al,[0x6004]; mov [0x6007],al; hlt
        try (Guest g = guest(prologue(0x6005, 0, L0 | rw(0, 3, 3)) + "9090 a008600000 a004600000 a207600000 f4")) {
            X86Registers r = runToHlt(g);
            assertEquals(2, r.gpr[ESI], "the read of 0x6004 and the write of 0x6007, not 0x6008");
            assertEquals(1, r.gpr[EDI] & 0xf);
        }
        // LEN 2 at 0x6003 covers 0x6002-0x6003: mov al,[0x6001]; mov al,[0x6004]; mov al,[0x6002]; hlt
        try (Guest g = guest(prologue(0x6003, 0, L0 | rw(0, 3, 1)) + "9090 a001600000 a004600000 a002600000 f4")) {
            X86Registers r = runToHlt(g);
            assertEquals(1, r.gpr[ESI]);
            assertEquals(BODY + 15, r.gpr[EBP], "after the read of 0x6002");
        }
    }

    @Test
    void oneInstructionHittingTwoBreakpointsSetsBothBits() {
        // DR0 watches writes of 0x6000-3, DR1 of 0x6004-7; mov [0x6002],eax writes 0x6002-5.
        try (Guest g = guest(prologue(0x6000, 0x6004, L0 | L1 | rw(0, 1, 3) | rw(1, 1, 3)) + "9090 a302600000 f4")) {
            X86Registers r = runToHlt(g);
            assertEquals(1, r.gpr[ESI], "one #DB for both");
            assertEquals(3, r.gpr[EDI] & 0xf, "B0 and B1");
        }
    }

    @Test
    void generalDetectFaultsOnMovDrAndClearsGd() {
        // GD set by the prologue; then mov eax,dr0 faults with BD, the handler may use the registers; hlt
        try (Guest g = guest(prologue(0x1234, 0, GD) + "9090 0f21c0 f4")) {
            X86Registers r = runToHlt(g);
            assertEquals(1, r.gpr[ESI]);
            assertNotEquals(0, r.gpr[EDI] & 0x2000, "DR6.BD");
            assertEquals(0, r.gpr[EBX] & GD, "GD cleared on entering the handler");
            assertEquals(BODY, r.gpr[EBP], "a fault: back to the MOV, which then completes");
            assertEquals(0x1234, r.gpr[EAX]);
            assertNotEquals(0, r.gpr[EDX] & 0x10000, "a fault-class #DB pushes RF = 1");
        }
    }

    @Test
    void ioReadWriteBitsNeedCr4De() {
        // R/W = 10 at 0x6000 without DE: nothing (the SDM leaves it undefined; this CPU never matches it)
        try (Guest g = guest(prologue(0x6000, 0, L0 | rw(0, 2, 0)) + "9090 a200600000 f4")) {
            assertEquals(0, runToHlt(g).gpr[ESI]);
        }
        // With DE it is an I/O breakpoint: out 0x80,al exits to the VMM, completes on re-entry, then traps.
        try (Guest g = guest(prologue(0x80, 0, L0 | rw(0, 2, 0)) + "9090 e680 41 f4")) {
            X86Registers r = g.regs();
            r.cr4 |= 8;
            g.vcpu.setRegisters(r);
            assertEquals(ExitReason.IO_INSTRUCTION, g.run().reason);
            r = runToHlt(g);
            assertEquals(1, r.gpr[ESI]);
            assertEquals(1, r.gpr[EDI] & 0xf);
            assertEquals(BODY + 2, r.gpr[EBP], "a trap after the OUT");
        }
    }

    @Test
    void debugExceptionExitCarriesTheBitsAndLeavesDr6() {
        try (Guest g = guest(prologue(0x6000, 0, L0 | rw(0, 1, 0)) + "9090 a200600000 0f21f7 f4")) {
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 1);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
            assertEquals(1, e.vector);
            assertEquals(1, e.qualification, "B0 in the exit qualification");
            assertEquals(BODY + 5, e.rip, "after the write");
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 0);
            X86Registers r = runToHlt(g);
            assertEquals(0, r.gpr[EDI] & 0xf, "DR6 untouched by a #DB that exited");
            assertEquals(0, r.gpr[ESI]);
        }
    }

    @Test
    void singleStepStillSetsBs() {
        // pushf; or dword [esp],0x100; popf; nop (the trap comes after the instruction following popf); hlt
        try (Guest g = guest("9c 810c2400010000 9d 90 90 f4")) {
            X86Registers r = runToHlt(g);
            assertTrue(r.gpr[ESI] >= 1);
            assertNotEquals(0, r.gpr[EDI] & 0x4000, "BS");
        }
    }

    @Test
    void nothingEnabledMeansNoDebugUnit() {
        try (Guest g = guest(prologue(0x6000, 0, 0) + "9090 a200600000 f4")) {
            runToHlt(g);
            assertNull(g.vcpu.core().debug, "DR7 with no L/G bit leaves the fast paths alone");
        }
        try (Guest g = guest(prologue(0x6000, 0, L0 | rw(0, 1, 0)) + "9090 31c0 0f23f8 a200600000 f4")) {
            X86Registers r = runToHlt(g);
            assertEquals(0, r.gpr[ESI], "DR7 cleared before the write");
            assertNull(g.vcpu.core().debug);
        }
    }
}
