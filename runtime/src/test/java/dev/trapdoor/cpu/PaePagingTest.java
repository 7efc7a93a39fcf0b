package dev.trapdoor.cpu;

import dev.trapdoor.arch.CpuidTable;
import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * PAE paging on the interpreter (SDM Vol. 3A, 4.4): the PDPTE registers, 3-level walks with
 * 64-bit entries and 2-MiB pages, reserved bits, execute-disable with EFER.NXE, and global pages
 * (4.10.4). The guest's tables: PDPT at 0x20000, a page directory at 0x21000 whose first entry
 * names the table at 0x22000, which maps the 1 MiB of RAM identically; code at 0x1000.
 */
class PaePagingTest {
    static final int PDPT = 0x20000, PD = 0x21000, PT = 0x22000;
    static final long P = 1, RW = 2, A = 1 << 5, D = 1 << 6, PS = 1 << 7, G = 1 << 8, XD = 1L << 63;
    static final long CR4_PSE = 1 << 4, CR4_PAE = 1 << 5, CR4_PGE = 1 << 7, EFER_NXE = 1 << 11;

    /** A guest in PAE paging from the first instruction (the PDPTEs load at VM entry). */
    static Guest paeGuest(String code, long cr4, long efer) {
        Guest g = Guest.flat32(0x1000, Guest.hex(code));
        g.memory.write64(PDPT, PD | P);
        g.memory.write64(PD, PT | P | RW);
        for (int p = 0; p < 256; p++) g.memory.write64(PT + p * 8L, (long) p << 12 | P | RW);
        X86Registers r = g.regs();
        r.cr3 = PDPT;
        r.cr4 = cr4 | CR4_PAE;
        r.efer = efer;
        r.cr0 |= 0x80000000L;
        g.vcpu.setRegisters(r);
        g.vcpu.vmcs.set("EXCEPTION_BITMAP", (1 << 14) | (1 << 13));
        return g;
    }

    static long pte(Guest g, int page) {
        return g.memory.read64(PT + page * 8L);
    }

    @Test
    void threeLevelWalkReadsTheRemappedPageAndSetsAccessedAndDirtyIn64BitEntries() {
        // mov eax,[0x5000]; mov dword [0x6000],0x1234; hlt
        try (Guest g = paeGuest("a100500000 c705006000003412 0000 f4", 0, 0)) {
            g.memory.write64(PT + 5 * 8, 0x9000 | P | RW);
            g.memory.write32(0x9000, 0xcafe);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(0xcafe, g.reg(X86Registers.EAX));
            assertEquals(0x1234, g.memory.read32(0x6000));
            assertEquals(0x9000 | P | RW | A, pte(g, 5), "read: A set, D clear");
            assertEquals(0x6000 | P | RW | A | D, pte(g, 6), "write: A and D set");
            assertEquals(PT | P | RW | A, g.memory.read64(PD), "the PDE's A bit");
            assertEquals(PD | P, g.memory.read64(PDPT), "PDPTEs have no A bit: unchanged");
        }
    }

    @Test
    void twoMebibytePagesMapThroughThePdeAlone() {
        // mov eax,[0x205000]; mov dword [0x206000],0x55; hlt -- linear 2-4 MiB is one 2-MiB page at physical 0
        try (Guest g = paeGuest("a100502000 c70500602000 55000000 f4", 0, 0)) {
            g.memory.write64(PD + 8, P | RW | PS);
            g.memory.write32(0x5000, 0xbeef);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(0xbeef, g.reg(X86Registers.EAX));
            assertEquals(0x55, g.memory.read32(0x6000));
            assertEquals(P | RW | PS | A | D, g.memory.read64(PD + 8));
        }
    }

    @Test
    void reservedBitsAreAPageFaultWithTheRsvdBit() {
        // mov eax,[0x7000]; hlt
        try (Guest g = paeGuest("a100700000 f4", 0, 0)) {
            g.memory.write64(PT + 7 * 8, 0x7000 | P | RW | 1L << 40); // beyond MAXPHYADDR (36)
            ExitInfo e = g.run();
            assertEquals(14, e.vector, e.message);
            assertEquals(0x9, e.errorCode, "P | RSVD, read, supervisor");
            assertEquals(0x7000, e.qualification);
        }
        try (Guest g = paeGuest("a100700000 f4", 0, 0)) {
            g.memory.write64(PT + 7 * 8, 0x7000 | P | RW | XD); // bit 63 is reserved while EFER.NXE = 0
            assertEquals(0x9, g.run().errorCode);
        }
        try (Guest g = paeGuest("a100700000 f4", 0, EFER_NXE)) {
            g.memory.write64(PT + 7 * 8, 0x7000 | P | RW | XD); // with NXE it is execute-disable: reading is fine
            g.memory.write32(0x7000, 77);
            assertEquals(ExitReason.HLT, g.run().reason);
            assertEquals(77, g.reg(X86Registers.EAX));
        }
    }

    @Test
    void fetchFromAnExecuteDisablePageFaultsWithTheInstructionFetchBit() {
        // jmp 0x3000 (hlt there)
        try (Guest g = paeGuest("e9fb1f0000 f4", 0, EFER_NXE)) {
            g.memory.write8(0x3000, 0xf4);
            g.memory.write64(PT + 3 * 8, 0x3000 | P | RW | XD);
            ExitInfo e = g.run();
            assertEquals(14, e.vector, e.message);
            assertEquals(0x11, e.errorCode, "P | I/D");
            assertEquals(0x3000, e.qualification);
            assertEquals(0x3000, e.rip);
        }
        try (Guest g = paeGuest("e9fb1f0000 f4", 0, EFER_NXE)) { // the control: without XD the jump lands on the HLT
            g.memory.write8(0x3000, 0xf4);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(0x3000, e.rip);
        }
    }

    @Test
    void eferIsReadAndWrittenByRdmsrAndWrmsrAndHasOnlyNxe() {
        // mov ecx,0xc0000080; rdmsr; or eax,0x800; wrmsr; mov eax,0; rdmsr; hlt
        try (Guest g = Guest.flat32(0x1000, Guest.hex("b9800000c0 0f32 0d00080000 0f30 b800000000 0f32 f4"))) {
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(0x800, g.reg(X86Registers.EAX));
            assertEquals(0x800, g.regs().efer);
        }
        // mov ecx,0xc0000080; mov eax,1 (SCE: not on this CPU); xor edx,edx; wrmsr
        try (Guest g = Guest.flat32(0x1000, Guest.hex("b9800000c0 b801000000 31d2 0f30 f4"))) {
            g.vcpu.vmcs.set("EXCEPTION_BITMAP", 1 << 13);
            ExitInfo e = g.run();
            assertEquals(13, e.vector, e.message);
            assertEquals(0, g.regs().efer);
        }
    }

    @Test
    void movToCr3WithAReservedBitInAPresentPdpteIsGpAndKeepsCr3() {
        // mov eax,0x30000; mov cr3,eax; hlt
        try (Guest g = paeGuest("b800000300 0f22d8 f4", 0, 0)) {
            g.memory.write64(0x30000, PD | P | RW); // bit 1 is reserved in a PDPTE (SDM Table 4-8)
            ExitInfo e = g.run();
            assertEquals(13, e.vector, e.message);
            assertEquals(0, e.errorCode);
            assertEquals(PDPT, g.regs().cr3);
        }
        try (Guest g = paeGuest("b800000300 0f22d8 f4", 0, 0)) { // the same table without the bit loads
            g.memory.write64(0x30000, PD | P);
            assertEquals(ExitReason.HLT, g.run().reason);
            assertEquals(0x30000, g.regs().cr3);
        }
    }

    /** mov eax,[0x5000]; remap 0x5000 to 0xA000 (global); mov edx,cr3; mov cr3,edx; mov ebx,[0x5000]; invlpg [0x5000]; mov ecx,[0x5000]; hlt */
    static final String REMAP_AROUND_CR3 = "a100500000 c70528200200 03a10000 0f20da 0f22da 8b1d00500000 0f013d00500000 8b0d00500000 f4";

    @Test
    void aGlobalEntrySurvivesMovToCr3AndGoesWithInvlpg() {
        try (Guest g = paeGuest(REMAP_AROUND_CR3, CR4_PGE, 0)) {
            g.memory.write64(PT + 5 * 8, 0x9000 | P | RW | G);
            g.memory.write32(0x9000, 0x9999);
            g.memory.write32(0xA000, 0xAAAA);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(0x9999, g.reg(X86Registers.EAX));
            assertEquals(0x9999, g.reg(X86Registers.EBX), "the global translation outlived MOV to CR3");
            assertEquals(0xAAAA, g.reg(X86Registers.ECX), "INVLPG dropped it");
        }
    }

    @Test
    void withoutPgeOrWithoutTheGBitMovToCr3FlushesTheEntry() {
        for (long cr4 : new long[] {0, CR4_PGE}) {
            try (Guest g = paeGuest(REMAP_AROUND_CR3, cr4, 0)) {
                g.memory.write64(PT + 5 * 8, 0x9000 | P | RW | (cr4 == 0 ? G : 0));
                g.memory.write32(0x9000, 0x9999);
                g.memory.write32(0xA000, 0xAAAA);
                assertEquals(ExitReason.HLT, g.run().reason);
                assertEquals(0xAAAA, g.reg(X86Registers.EBX), "CR4.PGE=" + cr4);
            }
        }
    }

    @Test
    void clearingCr4PgeFlushesGlobalEntries() {
        // mov eax,[0x5000]; remap; mov edx,cr4; and edx,~PGE; mov cr4,edx; mov ebx,[0x5000]; hlt
        try (Guest g = paeGuest("a100500000 c70528200200 03a10000 0f20e2 81e27fffffff 0f22e2 8b1d00500000 f4", CR4_PGE, 0)) {
            g.memory.write64(PT + 5 * 8, 0x9000 | P | RW | G);
            g.memory.write32(0x9000, 0x9999);
            g.memory.write32(0xA000, 0xAAAA);
            assertEquals(ExitReason.HLT, g.run().reason);
            assertEquals(0x9999, g.reg(X86Registers.EAX));
            assertEquals(0xAAAA, g.reg(X86Registers.EBX));
        }
    }

    @Test
    void cpuidReportsPaePgeAndNx() {
        CpuidTable t = CpuidTable.interpreterDefault();
        int edx1 = t.get(1, 0).edx();
        assertTrue((edx1 & 1 << 6) != 0, "PAE");
        assertTrue((edx1 & 1 << 13) != 0, "PGE");
        assertNotEquals(0, t.get(0x80000001, 0).edx() & 1 << 20, "NX");
    }
}
