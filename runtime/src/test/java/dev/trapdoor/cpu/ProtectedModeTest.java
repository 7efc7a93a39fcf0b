package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

class ProtectedModeTest {
    /**
     * Boot code at 0x7c00 (assembled with as --32, listed with objdump): cli; lgdtl gdtr; cr0.PE=1;
     * ljmpl $8,$pm32; then in 32-bit code load DS/ES/SS=0x10, ESP=0x90000, store 0xdeadbeef at
     * 0x5000, FS=0x18 (base 0x10000, limit 0xfff), store 0x12345678 at fs:0x10, push/pop, out 'P',
     * hlt; followed by one faulting segment access per hlt-separated line (see the test).
     * GDT at 0x7c70: null, 0x08 code 4G, 0x10 data 4G, 0x18 data base 0x10000 limit 0xfff,
     * 0x20 data not present, 0x28 execute-only code; GDTR at 0x7ca0 (limit 0x2f).
     */
    static final String BOOT = "fa660f0116a07c0f20c00c010f22c066ea177c0000080066b810008ed88ec08ed0bc00000900c70500500000efbeadde"
            + "66b818008ee064c70510000000785634126a555bb050e6e9f464a100100000f466b820008ee8f466b828008ed8f431c08ed0f4"
            + "66b880008ec0f48db6000000000000000000000000ffff0000009acf00ffff00000092cf00ff0f000001924000ffff00000012cf00"
            + "ffff00000098cf002f00707c0000";

    @Test
    void switchesFromRealToProtectedModeAndRuns32BitCode() {
        try (Guest g = Guest.realMode(0x7c00, Guest.hex(BOOT))) {
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason, e.message);
            assertEquals('P', g.dataByte(0));
            assertEquals(0x7c46, e.rip);
            e = g.run();
            assertEquals(ExitReason.HLT, e.reason);
            assertEquals(0x7c48, e.rip);
            X86Registers r = g.regs();
            assertEquals(0x08, r.seg[X86Registers.CS].selector);
            assertTrue(r.seg[X86Registers.CS].big(), "CS.D from the descriptor");
            assertEquals(0x10, r.seg[X86Registers.SS].selector);
            assertEquals(0x90000, r.gpr[X86Registers.ESP]);
            assertEquals(0x55, r.gpr[X86Registers.EBX]);
            assertEquals(0x10000, r.seg[X86Registers.FS].base);
            assertEquals(0xfff, r.seg[X86Registers.FS].limit);
            assertEquals(0xdeadbeef, g.memory.read32(0x5000));
            assertEquals(0x12345678, g.memory.read32(0x10010), "FS base applied");
            assertEquals(0x1b, r.seg[X86Registers.CS].access & 0x1f, "accessed bit set in the cache");
            assertEquals(0x9b, (g.memory.read32(0x7c78 + 4) >>> 8) & 0xff, "and in the GDT");
        }
    }

    @Test
    void segmentLoadAndLimitFaultsCarryTheSdmErrorCodes() {
        try (Guest g = Guest.realMode(0x7c00, Guest.hex(BOOT))) {
            g.run();
            assertEquals(ExitReason.HLT, g.run().reason);
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", (1 << 13) | (1 << 11) | (1 << 12));
            int[][] cases = {
                    // {eip to start at, faulting instruction, vector, error code}
                    {0x7c49, 0x7c49, 13, 0},     // fs:0x1000 is beyond the 0xfff limit
                    {0x7c50, 0x7c54, 11, 0x20},  // not-present data segment
                    {0x7c57, 0x7c5b, 13, 0x28},  // execute-only code segment into DS
                    {0x7c5e, 0x7c60, 13, 0},     // null selector into SS
                    {0x7c63, 0x7c67, 13, 0x80},  // selector beyond the GDT limit
            };
            for (int[] c : cases) {
                X86Registers r = g.regs();
                r.eip = c[0];
                g.vcpu.setRegisters(r);
                ExitInfo e = g.run();
                assertEquals(ExitReason.EXCEPTION_NMI, e.reason, e.message);
                assertEquals(c[2], e.vector, "vector at " + Integer.toHexString(c[1]));
                assertEquals(c[3], e.errorCode);
                assertEquals(c[1], e.rip);
                assertEquals(c[1], g.regs().eip, "EIP stays at the faulting instruction");
            }
        }
    }

    @Test
    void tripleFaultWhenTheIdtIsEmpty() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f0b f4"))) { // ud2
            X86Registers r = g.regs();
            r.idtBase = 0;
            r.idtLimit = 0;
            g.vcpu.setRegisters(r);
            ExitInfo e = g.run();
            assertEquals(ExitReason.TRIPLE_FAULT, e.reason, e.message);
            assertEquals(0x1000, e.rip);
        }
    }

    @Test
    void doubleFaultGoesToItsHandlerWhenOnlyThatGateExists() {
        // IDT at 0x2000 with only vector 8 filled in: the bad selector raises #GP(0x80); vector 13's
        // descriptor is all zeros (no valid gate type) -> #GP(0x6a) while delivering #GP: two
        // contributory exceptions make #DF (SDM Vol. 3A, Table 6-5), whose handler runs.
        try (Guest g = Guest.flat32(0x1000, Guest.hex("66b88000 8ed8 f4"))) { // mov ax,0x80; mov ds,ax
            g.memory.write(0x3000, Guest.hex("5a f4")); // #DF handler: pop edx (error code 0); hlt
            gate(g, 0x2000, 8, 0x3000, 0x8e);
            setupIdt(g, 0x2000, 0x7ff);
            setupGdt(g);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(0x3001, e.rip);
            assertEquals(0, g.reg(X86Registers.EDX));
        }
    }

    @Test
    void interruptAndTrapGatesAtTheSamePrivilege() {
        // main: int 0x80; mov ds,[bad] -> #GP; hlt.  0x80 handler: mov ecx,1; iret.  #GP handler: pop edx; hlt
        try (Guest g = Guest.flat32(0x1000, Guest.hex("cd80 66b88000 8ed8 f4"))) {
            g.memory.write(0x3000, Guest.hex("b901000000 cf"));
            g.memory.write(0x3100, Guest.hex("5a 5e f4")); // pop edx (error code); pop esi (return EIP); hlt
            gate(g, 0x2000, 0x80, 0x3000, 0x8f); // trap gate
            gate(g, 0x2000, 13, 0x3100, 0x8e);   // interrupt gate
            setupIdt(g, 0x2000, 0x7ff);
            setupGdt(g);
            X86Registers r = g.regs();
            r.eflags |= 0x200;
            g.vcpu.setRegisters(r);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(0x3102, e.rip);
            r = g.regs();
            assertEquals(1, r.gpr[X86Registers.ECX], "INT 0x80 handler ran and returned");
            assertEquals(0x80, r.gpr[X86Registers.EDX], "#GP error code = selector");
            assertEquals(0x1006, r.gpr[X86Registers.ESI], "#GP return EIP = the faulting mov");
            assertEquals(0, r.eflags & 0x200, "interrupt gate cleared IF");
        }
    }

    static void gate(Guest g, int idt, int vector, int handler, int type) {
        int lo = (0x08 << 16) | (handler & 0xffff);
        int hi = (handler & 0xffff0000) | (type << 8);
        g.memory.write32(idt + vector * 8, lo);
        g.memory.write32(idt + vector * 8 + 4, hi);
    }

    static void setupIdt(Guest g, int base, int limit) {
        X86Registers r = g.regs();
        r.idtBase = base;
        r.idtLimit = limit;
        g.vcpu.setRegisters(r);
    }

    /** A GDT at 0x500 with flat code 0x08 and data 0x10, matching the flat32 register state. */
    static void setupGdt(Guest g) {
        g.memory.write(0x500, Guest.hex("0000000000000000 ffff0000009acf00 ffff00000092cf00"));
        X86Registers r = g.regs();
        r.gdtBase = 0x500;
        r.gdtLimit = 0x17;
        g.vcpu.setRegisters(r);
    }

    /**
     * The same ring-3 INT 0x80 with a bad SS0 in the TSS: the TSS is at fault, so #TS with the
     * selector (null: error code 0; a code segment or a DPL-3 data segment: the selector), and a
     * non-present stack segment is #SS(selector); the ring-3 context is left as it was.
     */
    @Test
    void aBadRing0StackInTheTssIsTsOrSs() {
        // selector -> {expected vector, expected error code}; 0x30 is a present ring-0 data segment marked not present
        int[][] cases = {{0x00, 10, 0}, {0x08, 10, 0x08}, {0x20, 10, 0x20}, {0x30, 12, 0x30}, {0x48, 10, 0x48}};
        for (int[] c : cases) {
            try (Guest g = int80FromRing3(c[0])) {
                g.vcpu.vmcs.set("EXCEPTION_BITMAP", (1 << 10) | (1 << 12) | (1 << 13));
                ExitInfo e = g.run();
                String what = String.format("SS0 = %#x", c[0]);
                X86Registers r;
                assertEquals(ExitReason.EXCEPTION_NMI, e.reason, what + ": " + e.message);
                assertEquals(c[1], e.vector, what);
                assertEquals(c[2], e.errorCode, what);
                r = g.regs();
                assertEquals(0x1b, r.seg[X86Registers.CS].selector, what + ": still ring 3");
                assertEquals(0x23, r.seg[X86Registers.SS].selector, what);
                assertEquals(0x8000, r.gpr[X86Registers.ESP], what);
            }
        }
    }

    /**
     * Ring 3 code at 0x1000: int 0x80; mov ebx,eax; hlt, through a DPL-3 interrupt gate to a
     * ring-0 handler at 0x3000 (mov eax,0x42; mov esi,esp; iret), with SS0:ESP0 = ss0:0x9000 in the
     * TSS at 0x4000. The GDT: ring-0 code 0x08 and data 0x10, ring-3 code 0x18 and data 0x20, a
     * null 0x28, and 0x30 a ring-0 data segment marked not present.
     */
    static Guest int80FromRing3(int ss0) {
        Guest g = Guest.flat32(0x1000, Guest.hex("cd80 89c3 f4"));
        g.memory.write(0x500, Guest.hex("0000000000000000 ffff0000009acf00 ffff00000092cf00 ffff000000facf00 ffff000000f2cf00"
                + " 0000000000000000 ffff00000012cf00"));
        g.memory.write(0x3000, Guest.hex("b842000000 89e6 cf"));
        g.memory.write32(0x4000 + 4, 0x9000);
        g.memory.write32(0x4000 + 8, ss0);
        gate(g, 0x2000, 0x80, 0x3000, 0xee);
        X86Registers r = g.regs();
        r.gdtBase = 0x500;
        r.gdtLimit = 0x37;
        r.idtBase = 0x2000;
        r.idtLimit = 0x7ff;
        for (int s = 0; s < 6; s++) {
            r.seg[s].flat32(0x23, false);
            r.seg[s].access |= 0x60;
        }
        r.seg[X86Registers.CS].flat32(0x1b, true);
        r.seg[X86Registers.CS].access |= 0x60;
        r.tr.selector = 0x28;
        r.tr.base = 0x4000;
        r.tr.limit = 0x67;
        r.tr.access = 0x8b;
        r.gpr[X86Registers.ESP] = 0x8000;
        g.vcpu.setRegisters(r);
        return g;
    }

    /** The DPL-3 gate enters ring 0 on the TSS stack; the handler's IRET returns to ring 3, where HLT is privileged: #GP(0). */
    @Test
    void interruptFromRing3SwitchesToTheTssStackAndIretReturns() {
        try (Guest g = int80FromRing3(0x10)) {
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 13);
            ExitInfo e = g.run();
            X86Registers r;
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason, e.message);
            assertEquals(13, e.vector);
            assertEquals(0, e.errorCode);
            assertEquals(0x1004, e.rip, "HLT at CPL 3");
            r = g.regs();
            assertEquals(0x42, r.gpr[X86Registers.EBX]);
            assertEquals(0x9000 - 20, r.gpr[X86Registers.ESI], "ring-0 stack held SS, ESP, EFLAGS, CS, EIP");
            assertEquals(0x23, g.memory.read32(0x9000 - 4), "old SS pushed");
            assertEquals(0x8000, g.memory.read32(0x9000 - 8), "old ESP pushed");
            assertEquals(0x1b, g.memory.read32(0x9000 - 16), "old CS pushed");
            assertEquals(0x1b, r.seg[X86Registers.CS].selector);
            assertEquals(0x23, r.seg[X86Registers.SS].selector);
            assertEquals(0x8000, r.gpr[X86Registers.ESP]);
        }
    }
}
