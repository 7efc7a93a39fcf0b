package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Task switches (task gate for #DF, CALL to a TSS and IRET with NT), call gates, SYSENTER/SYSEXIT,
 * the TSS I/O bitmap and LAR/LSL/VERR/VERW. The program (as --32, loaded at 0x1000; see the labels
 * in the constants) runs section by section; the tables are written here:
 * GDT 0x5000: 0x08 code, 0x10 data (ring 0, flat), 0x18 TSS A (0x6000, limit 0x88, I/O bitmap at
 * +0x68 denying all but port 0x80), 0x20 TSS B (0x6100, task_b), 0x28 call gate to 0x08:gate_target,
 * 0x40 TSS C (0x6200, df_task); IDT 0x5800: vector 0 not present, vector 8 a task gate to 0x40.
 */
class TaskAndGateTest {
    static final String PROGRAM = "0f0115f05f00000f011df85f0000ea15100000080066b810008ed88ec08ed08ee08ee866b818000f00d8f431c9f7f1f40f"
            + "00c80fb71d006200009c595af49a0000000020009c59f4c70500700000b0b00000cf9a000000002800f4c7050470000011ca0000"
            + "cbb97401000031d2b8080000000f3041b8009000000f3041b8991000000f30ba90100000b9008000000f35be55550000e6800f34"
            + "f4e681f4b9080000000f02c10f94c3b9100000000f03d10f94c7b9080000000f00e90f94c1be480000000f00e60f94c5f4";
    static final int DOUBLE_FAULT = 0x102b, DIV = 0x102d, CALL_TASK = 0x103e, CALL_GATE = 0x1053, SYSEXIT = 0x1066,
            RING3_DENIED = 0x109a, QUERIES = 0x109d;

    private static Guest guest() {
        Guest g = Guest.flat32(0x1000, Guest.hex(PROGRAM));
        long[] gdt = {0, 0x00cf9a000000ffffL, 0x00cf92000000ffffL, tss(0x6000, 0x88), tss(0x6100, 0x67),
                0x00008c000008105bL, 0x00cffa000000ffffL, 0x00cff2000000ffffL, tss(0x6200, 0x67)};
        for (int i = 0; i < gdt.length; i++) g.memory.write64(0x5000 + 8L * i, gdt[i]);
        g.memory.write16(0x5ff0, gdt.length * 8 - 1);
        g.memory.write32(0x5ff2, 0x5000);
        g.memory.write16(0x5ff8, 0xff);
        g.memory.write32(0x5ffa, 0x5800);
        g.memory.write64(0x5800 + 8 * 8, 0x0000850000400000L); // task gate, TSS selector 0x40
        g.memory.write16(0x6066, 0x68);
        for (int b = 0x68; b <= 0x88; b++) g.memory.write8(0x6000 + b, 0xff);
        g.memory.write8(0x6000 + 0x68 + 0x80 / 8, 0xfe); // port 0x80 allowed
        taskState(g, 0x6100, 0x1048, 0xa000);
        g.memory.write32(0x6100 + 0x28, 0x1234); // EAX of task B
        taskState(g, 0x6200, 0x1030, 0xb000);
        assertEquals(ExitReason.HLT, g.run().reason, "setup");
        return g;
    }

    private static long tss(int base, int limit) {
        return (long) (base & 0xff000000 | 0x8900 | (base >>> 16) & 0xff) << 32 | (base & 0xffffL) << 16 | limit;
    }

    private static void taskState(Guest g, int at, int eip, int esp) {
        g.memory.write32(at + 0x20, eip);
        g.memory.write32(at + 0x24, 2);
        g.memory.write32(at + 0x38, esp);
        int[] sels = {0x10, 0x08, 0x10, 0x10, 0x10, 0x10};
        for (int s = 0; s < 6; s++) g.memory.write16(at + 0x48 + 4 * s, sels[s]);
    }

    private static void startAt(Guest g, int eip) {
        X86Registers r = g.regs();
        r.eip = eip;
        g.vcpu.setRegisters(r);
    }

    @Test
    void doubleFaultGoesThroughTheTaskGateWithABackLinkAndTheErrorCode() {
        try (Guest g = guest()) {
            startAt(g, DOUBLE_FAULT);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            X86Registers r = g.regs();
            assertEquals(0x40, r.tr.selector);
            assertEquals(0x40, r.gpr[X86Registers.EAX] & 0xffff, "str");
            assertEquals(0x18, r.gpr[X86Registers.EBX], "back link to the interrupted task");
            assertEquals(0x4000, r.gpr[X86Registers.ECX] & 0x4000, "NT set");
            assertEquals(0, r.gpr[X86Registers.EDX], "#DF error code 0 on the new stack");
            assertEquals(0xb000, r.gpr[X86Registers.ESP]);
            assertEquals(DIV, g.memory.read32(0x6000 + 0x20), "the old task saved at the faulting div");
            assertEquals(0x8b, (g.memory.read32(0x5000 + 0x40 + 4) >>> 8) & 0xff, "TSS C busy");
            assertEquals(0x8b, (g.memory.read32(0x5000 + 0x18 + 4) >>> 8) & 0xff, "TSS A stays busy (nested)");
            assertEquals(8, r.cr0 & 8, "CR0.TS set by the switch");
        }
    }

    @Test
    void callToATssNestsAndIretWithNtReturns() {
        try (Guest g = guest()) {
            startAt(g, CALL_TASK);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(0x1047, e.rip);
            X86Registers r = g.regs();
            assertEquals(0xb0b0, g.memory.read32(0x7000), "task B ran");
            assertEquals(0x18, r.tr.selector);
            assertEquals(0, r.gpr[X86Registers.ECX] & 0x4000, "NT clear in the caller");
            assertEquals(0x18, r.gpr[X86Registers.EAX], "the caller's EAX came back from TSS A");
            assertEquals(0x18, g.memory.read16(0x6100), "back link written into TSS B");
            assertEquals(0x89, (g.memory.read32(0x5000 + 0x20 + 4) >>> 8) & 0xff, "TSS B available again");
            assertEquals(0x1234, g.memory.read32(0x6100 + 0x28), "task B's registers saved on IRET");
        }
    }

    @Test
    void callGateToTheSamePrivilegeLevel() {
        try (Guest g = guest()) {
            int esp = g.reg(X86Registers.ESP);
            startAt(g, CALL_GATE);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(0x105a, e.rip);
            assertEquals(0xca11, g.memory.read32(0x7004));
            assertEquals(esp, g.reg(X86Registers.ESP));
        }
    }

    @Test
    void sysexitToRing3TheIoBitmapAndSysenterBack() {
        try (Guest g = guest()) {
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 13);
            startAt(g, SYSEXIT);
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason, e.message);
            assertEquals(0x80, e.port, "port 0x80 is open in the bitmap");
            X86Registers ring3 = g.regs();
            assertEquals(0x1b, ring3.seg[X86Registers.CS].selector);
            assertEquals(0x23, ring3.seg[X86Registers.SS].selector);
            assertEquals(0x8000, ring3.gpr[X86Registers.ESP]);
            e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            X86Registers r = g.regs();
            assertEquals(0x08, r.seg[X86Registers.CS].selector);
            assertEquals(0x10, r.seg[X86Registers.SS].selector);
            assertEquals(0x9000, r.gpr[X86Registers.ESP]);
            assertEquals(0x5555, r.gpr[X86Registers.ESI]);

            ring3.eip = RING3_DENIED;
            g.vcpu.setRegisters(ring3);
            e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
            assertEquals(13, e.vector, "port 0x81 is closed");
            assertEquals(0, e.errorCode);
        }
    }

    @Test
    void larLslVerrVerw() {
        try (Guest g = guest()) {
            startAt(g, QUERIES);
            assertEquals(ExitReason.HLT, g.run().reason);
            X86Registers r = g.regs();
            assertEquals(0x00c09b00, r.gpr[X86Registers.EAX], "LAR: access rights of the accessed code segment");
            assertEquals(0xffffffff, r.gpr[X86Registers.EDX], "LSL: the byte-granular limit");
            int ebx = r.gpr[X86Registers.EBX], ecx = r.gpr[X86Registers.ECX];
            assertEquals(0x0101, ebx & 0xffff, "ZF set by both");
            assertEquals(0, ecx & 0xff, "VERW of a code segment fails");
            assertEquals(0, (ecx >>> 8) & 0xff, "VERR beyond the GDT limit fails without faulting");
        }
    }
}
