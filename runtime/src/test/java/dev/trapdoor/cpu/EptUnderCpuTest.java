package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.memory.MmioDevice;
import dev.trapdoor.memory.paging.Ept;
import dev.trapdoor.memory.paging.HostPages;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.ProcBased;
import dev.trapdoor.vmx.ProcBased2;
import dev.trapdoor.vmx.VmcsField;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Guests on the interpreter with EPT and VPID on (SDM Vol. 3C, 29): every guest-physical access,
 * the guest's own page-walk reads included, goes through the EPT; violations and
 * misconfigurations are exits with Intel's qualification; the TLB is tagged by VPID. The guest
 * uses 32-bit paging: page directory at 0x20000, a table at 0x21000 mapping 0-1 MiB identically
 * (or one 4-MiB page with CR4.PSE), code at 0x1000.
 */
class EptUnderCpuTest {
    static final int PD = 0x20000, PT = 0x21000;

    /** A 32-bit paging guest with EPT on: ept is mapped by the caller. */
    static Guest eptGuest(String code, Ept ept, boolean bigGuestPages) {
        Guest g = Guest.flat32(0x1000, Guest.hex(code));
        if (bigGuestPages) {
            g.memory.write32(PD, 0x83 | 0x4); // 4 MiB at 0, present, writable, user, PS
        } else {
            g.memory.write32(PD, PT | 7);
            for (int p = 0; p < 256; p++) g.memory.write32(PT + p * 4, p << 12 | 3);
        }
        X86Registers r = g.regs();
        r.cr3 = PD;
        r.cr4 = bigGuestPages ? 1 << 4 : 0;
        r.cr0 |= 0x80000000L;
        g.vcpu.setRegisters(r);
        enableEpt(g, ept);
        return g;
    }

    static void enableEpt(Guest g, Ept ept) {
        g.vcpu.eptTables(ept.pages(), ept.maxPhysAddr());
        g.vcpu.vmcs.write(VmcsField.PROC_BASED_CONTROLS, g.vcpu.vmcs.procBased() | ProcBased.ACTIVATE_SECONDARY_CONTROLS);
        g.vcpu.vmcs.write(VmcsField.SECONDARY_PROC_BASED_CONTROLS, g.vcpu.vmcs.read(VmcsField.SECONDARY_PROC_BASED_CONTROLS) | ProcBased2.ENABLE_EPT);
        g.vcpu.vmcs.write(VmcsField.EPT_POINTER, ept.eptp());
    }

    static void useVpid(Guest g, int vpid) {
        long sec = g.vcpu.vmcs.read(VmcsField.SECONDARY_PROC_BASED_CONTROLS);
        g.vcpu.vmcs.write(VmcsField.SECONDARY_PROC_BASED_CONTROLS, vpid == 0 ? sec & ~ProcBased2.ENABLE_VPID : sec | ProcBased2.ENABLE_VPID);
        g.vcpu.vmcs.write(VmcsField.VPID, vpid);
    }

    @Test
    void identityEptRunsTheGuest() {
        try (Ept ept = new Ept(); Guest g = eptGuest("a100500000 f4", ept, false)) { // mov eax,[0x5000]; hlt
            ept.map(0, 0, 1 << 20, Ept.RWX, Ept.PAGE_4K);
            g.memory.write32(0x5000, 0x600d);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(0x600d, g.reg(X86Registers.EAX));
        }
    }

    /** References per walk for a code page and a data page: (n+1)(m+1)-1 for n guest levels over m EPT levels. */
    static long referencesPerWalk(long eptPage, boolean bigGuestPages) {
        try (Ept ept = new Ept(); Guest g = eptGuest("a100500000 f4", ept, bigGuestPages)) {
            ept.map(0, 0, eptPage == Ept.PAGE_4K ? 1 << 20 : 4 << 20, Ept.RWX, eptPage);
            assertEquals(ExitReason.HLT, g.run().reason);
            TlbCounters c = g.vcpu.tlbCounters();
            assertEquals(2, c.misses(), "the code page and the data page");
            assertEquals(c.walks() * (c.references() / c.walks()), c.references(), "every walk costs the same: " + c);
            return c.references() / c.walks();
        }
    }

    @Test
    void aMissCostsFourteenReferencesWith4KiBPagesOnBothSidesAndFewerWithLargerPages() {
        assertEquals(14, referencesPerWalk(Ept.PAGE_4K, false), "(2+1)(4+1)-1");
        assertEquals(11, referencesPerWalk(Ept.PAGE_2M, false), "(2+1)(3+1)-1");
        assertEquals(9, referencesPerWalk(Ept.PAGE_4K, true), "(1+1)(4+1)-1");
        assertEquals(7, referencesPerWalk(Ept.PAGE_2M, true), "(1+1)(3+1)-1");
    }

    @Test
    void aPaeMissCostsFourteenWithPdpteRegistersAndNineteenWhenTheWalkReadsThePdpte() {
        for (boolean inWalk : new boolean[]{false, true}) {
            try (Ept ept = new Ept(); Guest g = PaePagingTest.paeGuest("a100500000 f4", 0, 0)) { // mov eax,[0x5000]; hlt
                ept.map(0, 0, 1 << 20, Ept.RWX, Ept.PAGE_4K);
                enableEpt(g, ept);
                g.vcpu.pdptesInWalk(inWalk);
                g.memory.write32(0x5000, 0x600d);
                assertEquals(ExitReason.HLT, g.run().reason);
                assertEquals(0x600d, g.reg(X86Registers.EAX));
                TlbCounters c = g.vcpu.tlbCounters();
                assertEquals(2, c.walks(), "the code page and the data page: " + c);
                assertEquals(inWalk ? 19 : 14, c.references() / c.walks(), (inWalk ? "(3+1)(4+1)-1" : "(2+1)(4+1)-1 plus registers") + ": " + c);
            }
        }
    }

    @Test
    void writingAPageEptMakesReadOnlyIsAnEptViolationWithIntelsQualification() {
        // mov dword [0x5004],0x1234; hlt -- linear page 5 is guest-physical page 6
        try (Ept ept = new Ept(); Guest g = eptGuest("c70504500000 34120000 f4", ept, false)) {
            g.memory.write32(PT + 5 * 4, 0x6000 | 3);
            ept.map(0, 0, 1 << 20, Ept.RWX, Ept.PAGE_4K);
            ept.protect(0x6000, 0x1000, Ept.RX);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EPT_VIOLATION, e.reason, e.message);
            assertEquals(48, e.reason.number());
            // bit 1 write; bits 3 and 5: the page is readable and executable; bit 7 linear valid; bit 8 the final translation
            assertEquals(0x2 | 0x8 | 0x20 | 0x80 | 0x100, e.qualification);
            assertEquals(0x6004, e.guestPhysical);
            assertEquals(0x5004, e.guestLinear);
            assertEquals(0x1000, e.rip, "the instruction restarts");
            assertEquals(0, g.memory.read32(0x6004));
            assertEquals(0x6004, g.vcpu.vmcs.read(VmcsField.GUEST_PHYSICAL_ADDRESS));
            assertEquals(0x1aa, g.vcpu.vmcs.read(VmcsField.EXIT_QUALIFICATION));

            ept.protect(0x6000, 0x1000, Ept.RWX); // the VMM's fix, then INVEPT
            g.vcpu.invept();
            assertEquals(ExitReason.HLT, g.run().reason);
            assertEquals(0x1234, g.memory.read32(0x6004));
        }
    }

    @Test
    void aGuestPageTableEptDoesNotMapIsAViolationOnAPagingStructureAccess() {
        try (Ept ept = new Ept(); Guest g = eptGuest("a100500000 f4", ept, false)) {
            ept.map(0, 0, 1 << 20, Ept.RWX, Ept.PAGE_4K);
            ept.unmap(PT, 0x1000);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EPT_VIOLATION, e.reason, e.message);
            assertEquals(0x1 | 0x80, e.qualification, "a read, nothing permitted, linear valid, not the final translation");
            assertEquals(PT + 4, e.guestPhysical, "the PTE of the code page at 0x1000");
            assertEquals(0x1000, e.guestLinear);
        }
    }

    @Test
    void writeWithoutReadInAnEptEntryIsAMisconfiguration() {
        try (Ept ept = new Ept(); Guest g = eptGuest("a100500000 f4", ept, false)) {
            ept.map(0, 0, 1 << 20, Ept.RWX, Ept.PAGE_4K);
            ept.setEntry(0x5000, 1, 0x5000 | Ept.W | 6 << 3);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EPT_MISCONFIG, e.reason, e.message);
            assertEquals(0x5000, e.guestPhysical);
        }
    }

    @Test
    void anInvalidEptPointerFailsVmEntry() {
        try (Ept ept = new Ept(); Guest g = eptGuest("f4", ept, false)) {
            g.vcpu.vmcs.write(VmcsField.EPT_POINTER, ept.pml4() | 2 << 3 | 6); // a 3-level walk
            ExitInfo e = g.run();
            assertEquals(ExitReason.INTERNAL_ERROR, e.reason);
            assertTrue(e.message.contains("page-walk length"), e.message);
        }
    }

    @Test
    void aDevicePageEptLeavesUnmappedIsAnEptViolationServedOnTheDeviceBus() {
        // mov eax,[0x100000]; mov dword [0x100004],7; hlt
        for (boolean exits : new boolean[]{true, false}) {
            try (Ept ept = new Ept(); Guest g = eptGuest("a100001000 c70504001000 07000000 f4", ept, false)) {
                List<String> seen = new ArrayList<>();
                g.memory.addMmio("dev", 0x100000, 0x1000, new MmioDevice() {
                    @Override public long read(long offset, int size) { seen.add("r" + offset); return 0x42; }
                    @Override public void write(long offset, int size, long value) { seen.add("w" + offset + "=" + value); }
                });
                g.memory.write32(PT + 256 * 4, 0x100000 | 3); // PT index 256 maps linear 1 MiB
                ept.map(0, 0, 1 << 20, Ept.RWX, Ept.PAGE_4K);
                g.vcpu.mmioExits(exits);
                ExitInfo e = g.run();
                List<String> exitsSeen = new ArrayList<>();
                while (e.reason == ExitReason.EPT_VIOLATION) {
                    // What the runtime's default handler does (DefaultExitHandler.mmio, shared with KVM).
                    exitsSeen.add(String.format("%s %x+%d q=%x gla=%x rip=%x", e.in ? "r" : "w", e.guestPhysical, e.size, e.qualification, e.guestLinear, e.rip));
                    if (e.in) e.data.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0, (int) g.memory.read(e.guestPhysical, e.size));
                    else g.memory.write(e.guestPhysical, e.size, e.data.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0));
                    e = g.run();
                }
                assertEquals(ExitReason.HLT, e.reason, e.message);
                assertEquals(0x42, g.reg(X86Registers.EAX));
                assertEquals(List.of("r0", "w4=7"), seen, "each access reaches the device once");
                // Qualification: read (bit 0) or write (bit 1), no permissions (bits 5:3), GLA valid (7), final translation (8).
                assertEquals(exits ? List.of("r 100000+4 q=181 gla=100000 rip=1000", "w 100004+4 q=182 gla=100004 rip=1005") : List.of(), exitsSeen);
            }
        }
    }

    /**
     * Two guests take turns on one vCPU (a VMM switching VMCS contents): the same code and
     * guest-physical layout, their RAM at host 0 and host 1 MiB through two EPTs in one table
     * pool. Returns the TLB misses of each of four turns.
     */
    static long[] missesPerTurn(boolean vpids) {
        HostPages pool = Ept.newTablePool();
        // L: mov eax,[0x5000]; hlt; jmp L
        try (pool; Ept a = new Ept(pool, 39); Ept b = new Ept(pool, 39); Guest g = eptGuest("a100500000 f4 ebf8", a, false)) {
            g.memory.addRam("host1", 0x100000, 0x100000);
            a.map(0, 0, 1 << 20, Ept.RWX, Ept.PAGE_4K);
            b.map(0, 0x100000, 1 << 20, Ept.RWX, Ept.PAGE_4K);
            g.memory.write(0x100000, g.memory.readBytes(0, 1 << 20)); // guest 1 starts as a copy of guest 0
            g.memory.write32(0x5000, 100);
            g.memory.write32(0x105000, 200);
            g.vcpu.tlbCounting(true);
            X86Registers[] regs = {g.regs(), g.regs()};
            Ept[] epts = {a, b};
            long[] misses = new long[4];
            for (int turn = 0; turn < 4; turn++) {
                int k = turn & 1;
                g.vcpu.vmcs.write(VmcsField.EPT_POINTER, epts[k].eptp());
                useVpid(g, vpids ? k + 1 : 0);
                g.vcpu.setRegisters(regs[k]);
                long before = g.vcpu.tlbCounters().misses();
                ExitInfo e = g.run();
                assertEquals(ExitReason.HLT, e.reason, e.message);
                assertEquals(k == 0 ? 100 : 200, g.reg(X86Registers.EAX), "guest " + k + " reads its own memory");
                misses[turn] = g.vcpu.tlbCounters().misses() - before;
                regs[k] = g.regs(); // HLT exits trap-like: EIP is past it
            }
            return misses;
        }
    }

    @Test
    void withVpidsEachGuestKeepsItsTranslationsAcrossSwitches() {
        assertArrayEquals(new long[] {2, 2, 0, 0}, missesPerTurn(true));
    }

    @Test
    void withoutVpidsEveryEntryStartsWithAnEmptyTlb() {
        assertArrayEquals(new long[] {2, 2, 2, 2}, missesPerTurn(false));
    }

    @Test
    void theWalkViewShowsEachGuestEntryWithTheEptWalkBeneathIt() {
        try (Ept ept = new Ept(); Guest g = eptGuest("f4", ept, false)) {
            g.memory.write32(PT + 5 * 4, 0x6000 | 3);
            ept.map(0, 0x40000, 0x80000, Ept.RWX, Ept.PAGE_4K); // guest-physical 0 is host 0x40000
            g.memory.write32(0x40000 + PD, PT | 7);
            g.memory.write32(0x40000 + PT + 5 * 4, 0x6000 | 3);
            var w = g.vcpu.walk(0x5123);
            assertEquals(0x6123, w.guestPhysical());
            assertEquals(0x46123, w.hostPhysical());
            assertEquals(14, w.references());
            assertEquals(List.of("ept", "ept", "ept", "ept", "guest", "ept", "ept", "ept", "ept", "guest", "ept", "ept", "ept", "ept"),
                    w.steps().stream().map(s -> s.stage()).toList());
            var pde = w.steps().get(4);
            assertEquals("PDE", pde.level());
            assertEquals(PD, pde.address());
            assertEquals(PT | 7, pde.value());
            assertEquals("PTE", w.steps().get(9).level());
            assertEquals(PT + 5 * 4, w.steps().get(9).address());
            assertEquals(0x46123, g.vcpu.translateLinear(0x5123));
            assertEquals(0, g.memory.read32(0x40000 + PT + 5 * 4) & 0x20, "no accessed bit: the view only reads");
            assertTrue(w.toString().startsWith("0x5123 -> 0x46123 (guest-physical 0x6123), 14 references"), w.toString());
        }
    }
}
