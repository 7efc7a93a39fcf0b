package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;

import static dev.trapdoor.arch.X86Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * 16-bit TSSes (SDM Vol. 3A, 8.6): CALL, JMP and a task gate into a 16-bit task and IRET/JMP back
 * to a 32-bit one, the ring-0 stack of a 16-bit TSS for interrupts and call gates, and a 16-bit
 * call gate with a parameter. Program: test resources dev/trapdoor/cpu/v86/tss16.S (as --32,
 * linked at 0x1000). GDT 0x5000: 0x08 code32 and 0x10 data (ring 0, flat), 0x18 TSS A (32-bit,
 * 0x6000), 0x20 TSS B (16-bit, 0x6100), 0x28 code16 ring 0 (base 0, 64 KiB), 0x30 TSS C (16-bit,
 * 0x6200), 0x38/0x40 ring-3 code32/data (flat), 0x48 a 16-bit call gate (DPL 3, one parameter) to
 * 0x28:gate16_target, 0x50 TSS D (16-bit, 0x6300, busy: the ring-3 task's), 0x58 a 16-bit stack
 * segment (ring 0, base 0, 64 KiB). IDT 0x5800: 13 a task
 * gate to TSS C, 0x30 a 32-bit interrupt gate (DPL 3) to 0x08:ring0_hlt.
 */
class TaskSwitch16Test {
    static final String PROGRAM = "0f0115f05f00000f011df85f0000ea15100000080066b810008ed88ec08ed08ee08ee8bc0090000066b818000f00d8f4b85555aaaa9a"
            + "000000002000f4ea000000002000f466b85b008ed8f4cd30666a779a000000004b00f4f4cfb87856ea00001800f4f4ca0200f4";
    static final int CALL_TASK16 = 0x1030, JMP_TASK16 = 0x103d, GP_TASK_GATE = 0x1045, RING3_INT = 0x104c, RING3_GATE16 = 0x104e,
            TASK_B16 = 0x1059, TASK_B16_JMP = 0x105b, TASK_C16 = 0x1063, GATE16_TARGET = 0x1064, RING0_HLT = 0x1068;
    static final int TSS_A = 0x6000, TSS_B = 0x6100, TSS_C = 0x6200, TSS_D = 0x6300;

    private static long tss16(int base, int limit, boolean busy) {
        return (long) (base & 0xff000000 | (busy ? 0x8300 : 0x8100) | (base >>> 16) & 0xff) << 32 | (base & 0xffffL) << 16 | limit;
    }

    /** A 16-bit task's initial state: IP, FLAGS, AX, SP and ES/CS/SS/DS (SS a 16-bit stack: the upper half of ESP is not the TSS's). */
    private static void task16(Guest g, int at, int ip, int ax, int sp, int cs) {
        g.memory.write16(at + 0x0e, ip);
        g.memory.write16(at + 0x10, 2);
        g.memory.write16(at + 0x12, ax);
        g.memory.write16(at + 0x12 + 2 * ESP, sp);
        int[] sels = {0x10, cs, 0x58, 0x10};
        for (int s = 0; s < 4; s++) g.memory.write16(at + 0x22 + 2 * s, sels[s]);
    }

    private static Guest guest() {
        Guest g = Guest.flat32(0x1000, Guest.hex(PROGRAM));
        long[] gdt = {0, 0x00cf9a000000ffffL, 0x00cf92000000ffffL, V86Image.tss(TSS_A, 0x67), tss16(TSS_B, 0x2b, false),
                0x00009a000000ffffL, tss16(TSS_C, 0x2b, false), 0x00cffa000000ffffL, 0x00cff2000000ffffL,
                0x0000e40100280000L | GATE16_TARGET, tss16(TSS_D, 0x2b, true), 0x000092000000ffffL};
        for (int i = 0; i < gdt.length; i++) g.memory.write64(0x5000 + 8L * i, gdt[i]);
        g.memory.write16(0x5ff0, gdt.length * 8 - 1);
        g.memory.write32(0x5ff2, 0x5000);
        g.memory.write16(0x5ff8, 0x3ff);
        g.memory.write32(0x5ffa, 0x5800);
        g.memory.write64(0x5800 + 8 * 13, V86Image.gate(0x30, 0, 0x5, 0));
        g.memory.write64(0x5800 + 8 * 0x30, V86Image.gate(0x08, RING0_HLT, 0xe, 3));
        task16(g, TSS_B, TASK_B16, 0x1234, 0xa000, 0x28);
        task16(g, TSS_C, TASK_C16, 0, 0xb000, 0x28);
        g.memory.write16(TSS_D + 2, 0x8800); // SP0
        g.memory.write16(TSS_D + 4, 0x10);   // SS0
        assertEquals(ExitReason.HLT, g.run().reason, "setup");
        return g;
    }

    private static void startAt(Guest g, int eip) {
        X86Registers r = g.regs();
        r.eip = eip;
        g.vcpu.setRegisters(r);
    }

    private static int typeOf(Guest g, int sel) {
        return (g.memory.read32(0x5000 + sel + 4) >>> 8) & 0x1f;
    }

    @Test
    void callToA16BitTssAndIretBack() {
        try (Guest g = guest()) {
            int cr3 = 0x12345000;
            X86Registers r = g.regs();
            r.cr3 = cr3;
            g.vcpu.setRegisters(r);
            startAt(g, CALL_TASK16);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(TASK_B16, e.rip, "in task B");
            r = g.regs();
            assertEquals(0x20, r.tr.selector);
            assertEquals(0x28, r.seg[CS].selector);
            assertEquals(0xffff1234, r.gpr[EAX], "AX from the TSS; the upper half does not come from it");
            assertEquals(0xffffa000, r.gpr[ESP]);
            assertEquals(0, r.seg[FS].selector, "a 16-bit TSS has no FS");
            assertEquals(0, r.seg[GS].selector);
            assertEquals(0x4000, r.eflags & 0x4000, "NT");
            assertEquals(cr3, r.cr3, "CR3 is not in a 16-bit TSS");
            assertEquals(0x18, g.memory.read16(TSS_B), "back link");
            assertEquals(0x03, typeOf(g, 0x20), "TSS B busy");
            assertEquals(CALL_TASK16 + 12, g.memory.read32(TSS_A + 0x20), "A's EIP after the CALL");

            e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(CALL_TASK16 + 12, e.rip, "back in task A after IRET");
            r = g.regs();
            assertEquals(0x18, r.tr.selector);
            assertEquals(0xaaaa5555, r.gpr[EAX], "A's full EAX from its 32-bit TSS");
            assertEquals(0x10, r.seg[FS].selector);
            assertEquals(0, r.eflags & 0x4000);
            assertEquals(0x01, typeOf(g, 0x20), "TSS B available again");
            assertEquals(TASK_B16 + 2, g.memory.read16(TSS_B + 0x0e), "B's IP saved past its IRET");
            assertEquals(0x1234, g.memory.read16(TSS_B + 0x12), "B's AX saved as 16 bits");
            assertEquals(0, g.memory.read16(TSS_B + 0x10) & 0x4000, "IRET saves B's FLAGS with NT clear (SDM Vol. 3A, 8.4)");
        }
    }

    @Test
    void jmpFromA16BitTaskBackToA32BitOne() {
        try (Guest g = guest()) {
            g.memory.write16(TSS_B + 0x0e, TASK_B16_JMP);
            startAt(g, JMP_TASK16);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(JMP_TASK16 + 7, e.rip);
            assertEquals(0x18, g.regs().tr.selector);
            assertEquals(TASK_B16_JMP + 8, g.memory.read16(TSS_B + 0x0e), "B's IP past its far JMP");
            assertEquals(0x5678, g.memory.read16(TSS_B + 0x12), "B's AX");
            assertEquals(0x28, g.memory.read16(TSS_B + 0x24), "B's CS");
            assertEquals(0x01, typeOf(g, 0x20), "JMP leaves B available");
            assertEquals(0x0b, typeOf(g, 0x18), "A busy again");
            assertEquals(0, g.memory.read16(TSS_A), "JMP writes no back link");
        }
    }

    @Test
    void aTaskGateToA16BitTssPushesA16BitErrorCode() {
        try (Guest g = guest()) {
            startAt(g, GP_TASK_GATE);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(TASK_C16, e.rip);
            X86Registers r = g.regs();
            assertEquals(0x30, r.tr.selector);
            assertEquals(0xb000 - 2, r.gpr[ESP] & 0xffff, "a word pushed");
            assertEquals(0x58, g.memory.read16(0xb000 - 2), "#GP(0x58): the selector beyond the GDT");
            assertEquals(0x18, g.memory.read16(TSS_C), "back link to A");
            assertEquals(GP_TASK_GATE + 4, g.memory.read32(TSS_A + 0x20), "A saved at the faulting MOV DS");
        }
    }

    /** Ring 3, flat, in the task of the 16-bit TSS D. */
    private static void ring3InTaskD(Guest g, int eip) {
        X86Registers r = g.regs();
        for (int s = 0; s < 6; s++) r.seg[s].flat32(0x43, false);
        r.seg[CS].flat32(0x3b, true);
        for (int s = 0; s < 6; s++) r.seg[s].access |= 3 << 5;
        r.tr.selector = 0x50;
        r.tr.base = TSS_D;
        r.tr.limit = 0x2b;
        r.tr.access = 0x83;
        r.gpr[ESP] = 0x7000;
        r.eip = eip;
        g.vcpu.setRegisters(r);
    }

    @Test
    void anInterruptFromRing3TakesSp0AndSs0FromA16BitTss() {
        try (Guest g = guest()) {
            ring3InTaskD(g, RING3_INT);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(RING0_HLT, e.rip);
            X86Registers r = g.regs();
            int sp = 0x8800 - 20;
            assertEquals(sp, r.gpr[ESP]);
            assertEquals(0x10, r.seg[SS].selector);
            assertEquals(RING3_INT + 2, g.memory.read32(sp));
            assertEquals(0x3b, g.memory.read32(sp + 4));
            assertEquals(0x7000, g.memory.read32(sp + 12));
            assertEquals(0x43, g.memory.read32(sp + 16));
        }
    }

    @Test
    void a16BitInterruptGateFromRing3PushesWords() {
        try (Guest g = guest()) {
            g.memory.write64(0x5800 + 8 * 0x30, V86Image.gate(0x28, RING0_HLT, 0x6, 3));
            ring3InTaskD(g, RING3_INT);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(RING0_HLT, e.rip);
            X86Registers r = g.regs();
            assertEquals(0x28, r.seg[CS].selector);
            int sp = 0x8800 - 10;
            assertEquals(sp, r.gpr[ESP]);
            int[] frame = {RING3_INT + 2, 0x3b, -1, 0x7000, 0x43};
            for (int k = 0; k < frame.length; k++)
                if (frame[k] != -1) assertEquals(frame[k], g.memory.read16(sp + 2L * k), "frame word " + k);
            assertEquals(0, r.eflags & (1 << 9), "interrupt gate: IF clear");
        }
    }

    @Test
    void a16BitCallGateToRing0CopiesAWordParameterAndReturns() {
        try (Guest g = guest()) {
            ring3InTaskD(g, RING3_GATE16);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(GATE16_TARGET, e.rip);
            X86Registers r = g.regs();
            assertEquals(0x28, r.seg[CS].selector, "CPL 0 in the 16-bit code segment");
            int sp = 0x8800 - 10;
            assertEquals(sp, r.gpr[ESP] & 0xffff);
            int[] frame = {RING3_GATE16 + 10, 0x3b, 0x77, 0x7000 - 2, 0x43};
            for (int k = 0; k < frame.length; k++) assertEquals(frame[k], g.memory.read16(sp + 2L * k), "frame word " + k);

            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 13);
            e = g.run(); // lret $2 to ring 3, whose HLT is #GP(0)
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason, e.message);
            assertEquals(13, e.vector);
            assertEquals(RING3_GATE16 + 10, e.rip);
            r = g.regs();
            assertEquals(0x3b, r.seg[CS].selector);
            assertEquals(0x43, r.seg[SS].selector);
            assertEquals(0x7000, r.gpr[ESP], "the parameter released from the outer stack");
        }
    }

    @Test
    void aFaultOnTheInnerStackLeavesTheCallerAsItWas() {
        try (Guest g = guest()) {
            g.memory.write64(0x5000 + 0x60, 0x0040920000007fffL); // ring-0 32-bit stack segment, limit 0x7fff
            g.memory.write16(0x5ff0, 0x67);
            g.memory.write16(TSS_D + 4, 0x60); // SS0: SP0 = 0x8800 lies beyond its limit
            X86Registers r = g.regs();
            r.gdtLimit = 0x67;
            g.vcpu.setRegisters(r);
            ring3InTaskD(g, RING3_GATE16);
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 12);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason, e.message);
            assertEquals(12, e.vector, "#SS pushing the call-gate frame");
            assertEquals(RING3_GATE16 + 3, e.rip, "at the far CALL");
            r = g.regs();
            assertEquals(0x3b, r.seg[CS].selector);
            assertEquals(0x43, r.seg[SS].selector);
            assertEquals(3, (r.seg[SS].access >>> 5) & 3, "CPL 3");
            assertEquals(0x7000 - 2, r.gpr[ESP]);
        }
    }
}
