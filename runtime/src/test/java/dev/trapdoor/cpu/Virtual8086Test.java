package dev.trapdoor.cpu;

import dev.trapdoor.arch.Segment;
import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;

import static dev.trapdoor.arch.X86Registers.*;
import static org.junit.jupiter.api.Assertions.*;

/**
 * Virtual-8086 mode (SDM Vol. 3B, chapter 20) under the small monitor of {@link V86Image}: entry by
 * IRET and by a task switch, paragraph segments, the IOPL-sensitive instructions trapping to the
 * monitor with the v86 frame of SDM Vol. 3A, 6.12.1 / Vol. 2 INT, the I/O bitmap, IOPL 3
 * behaviour, and the gate and code-segment rules for leaving v86 mode.
 */
class Virtual8086Test {
    private static final int VM = 1 << 17, RF = 1 << 16, IOPL = 3 << 12, IF = 1 << 9;

    private static Guest monitor() {
        Guest g = new Guest(X86Registers.flat32(0x1000));
        V86Image.load(g.memory);
        return g;
    }

    /** Runs the monitor into the program until the allowed OUT to port 0x80. */
    private static Guest atFirstOut() {
        Guest g = monitor();
        ExitInfo e = g.run();
        assertEquals(ExitReason.IO_INSTRUCTION, e.reason, e.message);
        assertEquals(0x80, e.port);
        return g;
    }

    /** A v86 scenario: the program at the first OUT, then code placed at 2000:0200 and entered with the given EFLAGS. */
    private static Guest scenario(int eflags, String code) {
        Guest g = atFirstOut();
        g.memory.write(0x20000 + V86Image.SCRATCH, Guest.hex(code));
        X86Registers r = g.regs();
        r.seg[CS].selector = 0x2000;
        r.seg[CS].base = 0x20000;
        r.eip = V86Image.SCRATCH;
        r.eflags = eflags;
        g.vcpu.setRegisters(r);
        return g;
    }

    private static int log(Guest g, int entry, int dword) {
        return g.memory.read32(V86Image.LOG + 64L * entry + 4L * dword);
    }

    private static void assertFrame(Guest g, int entry, int eip, int cs, int esp) {
        String at = "trap " + entry + ": ";
        assertEquals(0, log(g, entry, 0), at + "error code");
        assertEquals(eip, log(g, entry, 1), at + "EIP");
        assertEquals(cs, log(g, entry, 2), at + "CS");
        // A fault pushes RF=1 (SDM Vol. 3B, 17.3.1.1), so the handler's IRET does not re-trigger an instruction breakpoint.
        assertEquals(VM | RF | 2, log(g, entry, 3) & ~(IF | 0x8d5), at + "EFLAGS: VM and RF set, IOPL 0");
        assertEquals(esp, log(g, entry, 4), at + "ESP");
        assertEquals(0x3000, log(g, entry, 5), at + "SS");
        assertEquals(0x2110, log(g, entry, 6), at + "ES");
        assertEquals(0x2100, log(g, entry, 7), at + "DS");
        assertEquals(0x2300, log(g, entry, 8), at + "FS");
        assertEquals(0x2400, log(g, entry, 9), at + "GS");
        for (int s = 10; s < 14; s++) assertEquals(0, log(g, entry, s) & 0xffff, at + "data segment registers null in the handler");
    }

    private static void assertV86Segment(X86Registers r, int s, int sel) {
        Segment seg = r.seg[s];
        assertEquals(sel, seg.selector, "selector " + s);
        assertEquals((long) sel << 4, seg.base, "base " + s);
        assertEquals(0xffff, seg.limit, "limit " + s);
        assertEquals(0xf3, seg.access, "access rights " + s);
    }

    @Test
    void iretEntersV86AndSegmentArithmeticIsParagraphs() {
        try (Guest g = atFirstOut()) {
            ExitInfo e = g.exit;
            assertFalse(e.in);
            assertEquals(1, e.size);
            assertEquals(0x55, g.dataByte(0));
            X86Registers r = g.regs();
            assertEquals(VM, r.eflags & VM);
            assertEquals(0, r.eflags & IOPL);
            assertEquals(0x100 + V86Image.OUT_80, r.eip, "EIP at the OUT, CS 1ff0 after the far jump");
            assertV86Segment(r, CS, 0x1ff0);
            assertV86Segment(r, SS, 0x3000);
            assertV86Segment(r, DS, 0x2100);
            assertV86Segment(r, ES, 0x2110);
            assertV86Segment(r, FS, 0x2300);
            assertV86Segment(r, GS, 0x2400);
            assertEquals(0xfff0, r.gpr[ESP]);
            assertEquals(0x1234, g.memory.read16(0x21100), "ES:0 with ES = DS + 0x10");
            assertEquals(0x1234, g.memory.read16(0x21000), "read back through DS:0x100");
            assertEquals(0x1ff0, g.memory.read16(0x21002), "CS after the far jump");
        }
    }

    @Test
    void sensitiveInstructionsTrapToTheMonitorWithTheV86Frame() {
        try (Guest g = atFirstOut()) {
            assertEquals(4, g.memory.read32(V86Image.COUNT), "CLI, STI, INT 21h and the handler's IRET trapped");
            assertFrame(g, 0, 0x100 + V86Image.CLI, 0x1ff0, 0xfff0);
            assertFrame(g, 1, 0x100 + V86Image.STI, 0x1ff0, 0xfff0);
            assertFrame(g, 2, 0x100 + V86Image.INT, 0x1ff0, 0xfff0);
            assertFrame(g, 3, 0x103, 0x2000, 0xffea);
            assertEquals(1, g.memory.read32(V86Image.VIF), "the monitor's virtual IF after STI");
            assertEquals(0x4321, g.memory.read16(0x21004), "INT 21h reflected to the v86 handler and back");
            assertEquals(0x1ff0_0000L | (0x100 + V86Image.INT + 2), g.memory.read32(0x3ffea) & 0xffffffffL,
                    "the reflected return address the monitor wrote on the v86 stack");

            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(0, g.memory.read32(V86Image.BAD), "no unexpected exception");
            assertEquals(6, g.memory.read32(V86Image.COUNT));
            assertFrame(g, 4, 0x100 + V86Image.OUT_81, 0x1ff0, 0xfff0);
            assertEquals(0x81, g.memory.read32(V86Image.PORT), "OUT to 0x81 denied by the bitmap");
            assertFrame(g, 5, 0x100 + V86Image.HLT, 0x1ff0, 0xfff0);
            assertEquals(0x66, g.memory.read8(0x21006), "the program ran on after the denied OUT");
            X86Registers r = g.regs();
            assertEquals(0, r.eflags & VM, "the monitor runs in protected mode");
            assertEquals(0x08, r.seg[CS].selector);
            assertEquals(0x10, r.seg[SS].selector, "SS0 from the TSS");
            assertEquals(0x8000 - 40 - 20, r.gpr[ESP], "ESP0 from the TSS, the 40-byte frame, the handler's five pushes");
            assertEquals(0, r.eflags & IF, "interrupt gate");
        }
    }

    @Test
    void iretWithVmFromARingAboveZeroDoesNotEnterV86() {
        try (Guest g = monitor()) {
            // Ring 3 flat code doing IRET with VM in the image: VM is not changeable at CPL 3 (SDM Vol. 2, IRET).
            g.memory.write64(V86Image.GDT + 0x20, 0x00cffa000000ffffL);
            g.memory.write64(V86Image.GDT + 0x28, 0x00cff2000000ffffL);
            assertEquals(ExitReason.IO_INSTRUCTION, g.run().reason);
            g.memory.write(0x1800, Guest.hex("6a2b 6800900000 6802000200 6a23 6815180000 cf 90 e680"));
            X86Registers r = g.regs();
            r.eflags = 2;
            for (int s = 0; s < 6; s++) r.seg[s].flat32(0x2b, false);
            r.seg[CS].flat32(0x23, true);
            for (int s = 0; s < 6; s++) r.seg[s].access |= 3 << 5;
            r.eip = 0x1800;
            r.gpr[ESP] = 0x9000;
            g.vcpu.setRegisters(r);
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason, e.message);
            assertEquals(0x1815, e.rip);
            assertEquals(0, g.regs().eflags & VM);
            assertEquals(0x23, g.regs().seg[CS].selector);
        }
    }

    @Test
    void faultsInV86() {
        int v86 = VM | 2;
        // A word at DS:FFFF crosses the 64 KiB limit: #GP(0).
        try (Guest g = scenario(v86, "8b06ffff")) {
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 13);
            ExitInfo e = g.run();
            assertEquals(13, e.vector);
            assertEquals(0, e.errorCode);
            assertEquals(V86Image.SCRATCH, e.rip);
        }
        // The descriptor instructions are not recognized in v86 mode: #UD, even the privileged LLDT.
        for (String code : new String[] {"0f00d0", "0f02c0", "0f03c0", "0f00c0", "0f00e0", "6300"}) {
            try (Guest g = scenario(v86, code)) {
                g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 6);
                ExitInfo e = g.run();
                assertEquals(ExitReason.EXCEPTION_NMI, e.reason, code);
                assertEquals(6, e.vector, code);
            }
        }
        // CPL 3: MOV to CR0, LMSW, MOV from DR7, HLT are #GP(0); at IOPL 0 so are PUSHF, POPF, INT n, IRET, CLI, STI.
        for (String code : new String[] {"0f22c0", "0f01f0", "0f21f8", "f4", "9c", "9d", "cd80", "cf", "fa", "fb", "66cf"}) {
            try (Guest g = scenario(v86, code)) {
                g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 13);
                ExitInfo e = g.run();
                assertEquals(ExitReason.EXCEPTION_NMI, e.reason, code);
                assertEquals(13, e.vector, code);
                assertEquals(0, e.errorCode, code);
                assertEquals(V86Image.SCRATCH, e.rip, code);
            }
        }
        // INT3 is not IOPL-sensitive: it goes to the IDT, where vector 3's gate has DPL 0: #GP(vector * 8 + 2).
        try (Guest g = scenario(v86, "cc")) {
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 13);
            ExitInfo e = g.run();
            assertEquals(13, e.vector);
            assertEquals(3 * 8 + 2, e.errorCode);
        }
    }

    @Test
    void atIopl3FlagInstructionsRunButCannotChangeIoplOrVm() {
        // cli; pushf; pop ax; sti; push dword 0; popfd; pushf; pop bx; hlt
        try (Guest g = scenario(VM | IOPL | 2, "fa9c58fb666a00669d9c5bf4")) {
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 13);
            ExitInfo e = g.run();
            assertEquals(13, e.vector, "HLT is still privileged");
            X86Registers r = g.regs();
            assertEquals(0x3002, r.gpr[EAX] & 0xffff & ~0x8d5, "PUSHF after CLI: IOPL 3, IF 0");
            assertEquals(0x3002, r.gpr[EBX] & 0xffff & ~0x8d5, "POPFD of 0 kept IOPL, cleared IF");
            assertEquals(VM | IOPL, r.eflags & (VM | IOPL));
        }
        // push 0x0002 (IOPL 0, IF 0); push 2000; push 0210; iret -> 2000:0210: pushf; pop ax; hlt
        try (Guest g = scenario(VM | IOPL | IF | 2, "680200 680020 681002 cf")) {
            g.memory.write(0x20210, Guest.hex("9c58f4"));
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 13);
            ExitInfo e = g.run();
            assertEquals(13, e.vector);
            assertEquals(0x212, e.rip, "IRET went to 2000:0210");
            X86Registers r = g.regs();
            assertEquals(0x3002, r.gpr[EAX] & 0xffff & ~0x8d5, "IRET kept IOPL 3, loaded IF 0");
            assertEquals(VM, r.eflags & VM);
            assertEquals(0xfff0, r.gpr[ESP] & 0xffff);
        }
    }

    /** INT 21h at IOPL 3 through IDT entry 0x21 set to gate; returns the guest at the ring-0 HLT or at the exit. */
    private static Guest intThrough(long gate) {
        Guest g = scenario(VM | IOPL | IF | 2, "cd21");
        g.memory.write64(V86Image.IDT + 8 * 0x21, gate);
        g.memory.write64(V86Image.GDT + 0x20, 0x00cf9e000000ffffL); // conforming ring-0 code
        g.memory.write64(V86Image.GDT + 0x28, 0x00cffa000000ffffL); // ring-3 code
        g.memory.write64(V86Image.GDT + 0x30, 0x00cfba000000ffffL); // ring-1 code
        g.memory.write16(0x5ff0, 0x37);
        X86Registers r = g.regs();
        r.gdtLimit = 0x37;
        g.vcpu.setRegisters(r);
        return g;
    }

    @Test
    void intFromV86ThroughA32BitTrapGatePushesTheSegmentRegisters() {
        try (Guest g = intThrough(V86Image.gate(0x08, V86Image.DO_HLT, 0xf, 3))) {
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            X86Registers r = g.regs();
            int sp = 0x8000 - 36;
            assertEquals(sp, r.gpr[ESP], "ring-0 stack from the TSS, nine doublewords, no error code");
            int[] expected = {V86Image.SCRATCH + 2, 0x2000, -1, 0xfff0, 0x3000, 0x2110, 0x2100, 0x2300, 0x2400};
            for (int k = 0; k < expected.length; k++)
                if (expected[k] != -1) assertEquals(expected[k], g.memory.read32(sp + 4L * k), "frame dword " + k);
            assertEquals(VM | IOPL | IF, g.memory.read32(sp + 8) & (VM | IOPL | IF), "EFLAGS image");
            assertEquals(0, r.eflags & VM);
            assertEquals(IF, r.eflags & IF, "a trap gate leaves IF");
            assertEquals(0x08, r.seg[CS].selector);
            for (int s : new int[] {DS, ES, FS, GS}) {
                assertEquals(0, r.seg[s].selector, "null selector " + s);
                assertEquals(Segment.UNUSABLE, r.seg[s].access & Segment.UNUSABLE, "unusable " + s);
            }
        }
    }

    @Test
    void intFromV86ThroughA16BitGatePushesWords() {
        try (Guest g = intThrough(V86Image.gate(0x08, V86Image.DO_HLT, 0x6, 3))) {
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            X86Registers r = g.regs();
            int sp = 0x8000 - 18;
            assertEquals(sp, r.gpr[ESP]);
            int[] expected = {V86Image.SCRATCH + 2, 0x2000, -1, 0xfff0, 0x3000, 0x2110, 0x2100, 0x2300, 0x2400};
            for (int k = 0; k < expected.length; k++)
                if (expected[k] != -1) assertEquals(expected[k], g.memory.read16(sp + 2L * k), "frame word " + k);
            assertEquals(IF | IOPL, g.memory.read16(sp + 4) & (IF | IOPL));
            assertEquals(0, r.eflags & IF, "an interrupt gate clears IF");
        }
    }

    @Test
    void v86LeavesOnlyForANonConformingRing0Segment() {
        for (int sel : new int[] {0x20, 0x28, 0x30}) {
            try (Guest g = intThrough(V86Image.gate(sel, 0, 0xf, 3))) {
                g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 13);
                ExitInfo e = g.run();
                assertEquals(ExitReason.EXCEPTION_NMI, e.reason, e.message);
                assertEquals(13, e.vector);
                assertEquals(sel, e.errorCode, "#GP(new code segment selector)");
                X86Registers r = g.regs();
                assertEquals(VM, r.eflags & VM, "still in v86 mode: the fault is raised there");
                assertV86Segment(r, CS, 0x2000);
                assertV86Segment(r, DS, 0x2100);
            }
        }
    }

    @Test
    void aFaultWhilePushingTheV86FrameLeavesV86StateIntact() {
        try (Guest g = intThrough(V86Image.gate(0x08, V86Image.DO_HLT, 0xf, 3))) {
            // Ring-0 stack segment with limit 0x7fff and ESP0 = 8: the pushes leave the segment (#SS).
            g.memory.write64(V86Image.GDT + 0x10, 0x004092000000ffffL & ~0xffffL | 0x7fff);
            g.memory.write32(V86Image.TSS + 4, 8);
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 12);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason, e.message);
            assertEquals(12, e.vector);
            X86Registers r = g.regs();
            assertEquals(VM, r.eflags & VM);
            assertV86Segment(r, SS, 0x3000);
            assertV86Segment(r, CS, 0x2000);
            assertV86Segment(r, ES, 0x2110);
            assertEquals(0xfff0, r.gpr[ESP]);
            assertEquals(V86Image.SCRATCH, r.eip);
        }
    }

    @Test
    void aTaskSwitchToATssWithVmStartsAV86Task() {
        try (Guest g = atFirstOut()) {
            assertEquals(ExitReason.HLT, g.run().reason);
            // TSS B at 0x6200: EFLAGS VM | IOPL 0, CS:EIP 2000:0200, SS:SP 3000:ff00, DS 2100, ES 2110, FS 2300, GS 2400; SS0:ESP0 = 10:a000.
            int b = 0x6200;
            g.memory.write64(V86Image.GDT + 0x20, V86Image.tss(b, 0x67));
            g.memory.write16(0x5ff0, 0x27);
            g.memory.write32(b + 4, 0xa000);
            g.memory.write16(b + 8, 0x10);
            g.memory.write32(b + 0x20, V86Image.SCRATCH);
            g.memory.write32(b + 0x24, VM | 2);
            g.memory.write32(b + 0x38, 0xff00);
            int[] sels = {0x2110, 0x2000, 0x3000, 0x2100, 0x2300, 0x2400};
            for (int s = 0; s < 6; s++) g.memory.write16(b + 0x48 + 4 * s, sels[s]);
            g.memory.write(0x20000 + V86Image.SCRATCH, Guest.hex("e680 fa f4"));
            g.memory.write(0x1800, Guest.hex("0f0115f05f0000 ea000000002000"));
            X86Registers r = g.regs();
            r.eip = 0x1800;
            g.vcpu.setRegisters(r);

            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason, e.message);
            assertEquals(V86Image.SCRATCH, e.rip);
            r = g.regs();
            assertEquals(0x20, r.tr.selector);
            assertEquals(VM, r.eflags & VM);
            assertV86Segment(r, CS, 0x2000);
            assertV86Segment(r, SS, 0x3000);
            assertV86Segment(r, ES, 0x2110);
            assertV86Segment(r, GS, 0x2400);
            assertEquals(0xff00, r.gpr[ESP]);
            assertEquals(0x180e, g.memory.read32(V86Image.TSS + 0x20), "the monitor's EIP saved in TSS A");
            assertEquals(0x89, (g.memory.read32(V86Image.GDT + 0x18 + 4) >>> 8) & 0xff, "TSS A no longer busy (JMP)");

            e = g.run(); // CLI traps through the IDT onto TSS B's ring-0 stack; the monitor emulates it; HLT halts
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(8, g.memory.read32(V86Image.COUNT));
            int entry = 6;
            assertEquals(V86Image.SCRATCH + 2, log(g, entry, 1));
            assertEquals(0x2000, log(g, entry, 2));
            assertEquals(0xff00, log(g, entry, 4));
            assertEquals(0x2110, log(g, entry, 6));
            assertEquals(0xa000 - 40 - 20, g.regs().gpr[ESP], "ESP0 of the new task's TSS");
        }
    }

    @Test
    void noVirtualModeExtensions() {
        assertEquals(0, dev.trapdoor.arch.CpuidTable.interpreterDefault().get(1, 0).edx() & 2, "CPUID.1:EDX.VME");
        // mov $1, %eax; mov %eax, %cr4 at ring 0: CR4.VME is reserved here, #GP(0)
        try (Guest g = Guest.flat32(0x1000, Guest.hex("b801000000 0f22e0 f4"))) {
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 13);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason, e.message);
            assertEquals(13, e.vector);
            assertEquals(0x1005, e.rip);
        }
    }
}
