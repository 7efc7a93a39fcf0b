package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.memory.MmioDevice;
import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.memory.paging.Ept;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.ProcBased;
import dev.trapdoor.vmx.ProcBased2;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.VmcsField;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * "Unrestricted guest" (secondary control 7) and the VM-entry checks that go with it (SDM Vol.
 * 3C, 26.2.1.1 and 26.3.1.1), and the interpreter's default: EPT and unrestricted guest on over
 * an identity EPT, as KVM runs guests on a processor with EPT.
 */
class UnrestrictedGuestTest {
    static final String HLT = "f4";

    private static void secondary(Guest g, int on, int off) {
        Vmcs v = g.vcpu.vmcs;
        v.write(VmcsField.SECONDARY_PROC_BASED_CONTROLS, (v.read(VmcsField.SECONDARY_PROC_BASED_CONTROLS) | on) & ~(long) off);
    }

    /** The entry failed on the guest state: reason 33 with the entry-failure bit, the guest untouched. */
    private static void assertGuestStateFailure(Guest g, ExitInfo e, String bit) {
        assertEquals(ExitReason.ENTRY_FAILURE_GUEST_STATE, e.reason, e.message);
        assertTrue(e.message.contains(bit), e.message);
        assertEquals(33 | 1L << 31, g.vcpu.vmcs.read(VmcsField.EXIT_REASON), "basic reason 33, bit 31 set");
        assertEquals(0, g.vcpu.vmcs.read(VmcsField.EXIT_QUALIFICATION));
        assertEquals(0, g.vcpu.instructionsRetired(), "no guest instruction ran");
        assertEquals(0x1000, g.regs().eip);
    }

    @Test
    void defaultVmcsHasEptAndUnrestrictedGuestOverTheIdentity() {
        try (Guest g = Guest.realMode(0x1000, Guest.hex(HLT))) {
            Vmcs v = g.vcpu.vmcs;
            assertNotEquals(0, v.procBased() & ProcBased.ACTIVATE_SECONDARY_CONTROLS);
            assertEquals(ProcBased2.ENABLE_EPT | ProcBased2.UNRESTRICTED_GUEST, v.procBased2());
            assertEquals(g.backend.identityEpt().eptp(), v.read(VmcsField.EPT_POINTER));
            Ept id = g.backend.identityEpt();
            assertEquals(0x4000_0000L | Ept.RWX | Ept.MT_WB << 3 | 1 << 7, id.entry(0x4000_1234L, 3), "1 GiB identity leaf, RWX, WB");
        }
    }

    @Test
    void realModeGuestRunsUnderTheDefaultEpt() {
        // mov ax,[0x5000]; mov [0x5002],ax; hlt
        try (Guest g = Guest.realMode(0x1000, Guest.hex("a10050 a30250 f4"))) {
            g.memory.write32(0x5000, 0xbeef);
            g.vcpu.resetTlbCounters();
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(0xbeef, g.memory.read(0x5002, 2));
            TlbCounters c = g.vcpu.tlbCounters();
            assertTrue(c.eptReferences() > 0, "the CPU walked the EPT: " + c);
            assertEquals(0, c.guestReferences(), "no guest paging in real mode: " + c);
            assertEquals(2 * c.walks(), c.eptReferences(), "PML4E and a 1-GiB PDPTE per walk: " + c);
        }
    }

    @Test
    void realModeFailsEntryWithoutUnrestrictedGuest() {
        try (Guest g = Guest.realMode(0x1000, Guest.hex(HLT))) {
            secondary(g, 0, ProcBased2.UNRESTRICTED_GUEST);
            assertGuestStateFailure(g, g.run(), "CR0.PE");
            // As on hardware, the VMM fixes the cause and enters again.
            secondary(g, ProcBased2.UNRESTRICTED_GUEST, 0);
            assertEquals(ExitReason.HLT, g.run().reason);
        }
    }

    @Test
    void unpagedProtectedModeFailsEntryWithoutUnrestrictedGuest() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex(HLT))) {
            secondary(g, 0, ProcBased2.UNRESTRICTED_GUEST);
            assertGuestStateFailure(g, g.run(), "CR0.PG");
        }
    }

    @Test
    void withoutSecondaryControlsUnrestrictedGuestIsOffToo() {
        try (Guest g = Guest.realMode(0x1000, Guest.hex(HLT))) {
            Vmcs v = g.vcpu.vmcs;
            v.write(VmcsField.PROC_BASED_CONTROLS, v.procBased() & ~ProcBased.ACTIVATE_SECONDARY_CONTROLS);
            assertGuestStateFailure(g, g.run(), "CR0.PE");
        }
    }

    @Test
    void pagedGuestEntersWithoutEptOrUnrestrictedGuest() {
        try (Guest g = Guest.pagedFlat32(0x1000, Guest.hex("a100500000 f4"))) { // mov eax,[0x5000]; hlt
            secondary(g, 0, ProcBased2.ENABLE_EPT | ProcBased2.UNRESTRICTED_GUEST);
            g.memory.write32(0x5000, 0x1234);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(0x1234, g.reg(X86Registers.EAX));
            assertEquals(0, g.vcpu.tlbCounters().eptReferences());
        }
    }

    @Test
    void unrestrictedGuestWithoutEptFailsEntry() {
        try (Guest g = Guest.realMode(0x1000, Guest.hex(HLT))) {
            secondary(g, 0, ProcBased2.ENABLE_EPT);
            ExitInfo e = g.run();
            assertEquals(ExitReason.INTERNAL_ERROR, e.reason);
            assertTrue(e.message.contains("unrestricted guest without enable EPT"), e.message);
            assertEquals(0, g.vcpu.instructionsRetired());
        }
    }

    @Test
    void controlChecksComeBeforeTheGuestState() {
        try (Guest g = Guest.realMode(0x1000, Guest.hex(HLT))) {
            secondary(g, ProcBased2.ENABLE_VPID, ProcBased2.UNRESTRICTED_GUEST); // VPID 0: a bad control, and CR0.PE = 0
            ExitInfo e = g.run();
            assertEquals(ExitReason.INTERNAL_ERROR, e.reason, "a control-field failure, no VM exit");
            assertTrue(e.message.contains("VPID 0"), e.message);
        }
    }

    @Test
    void movToCr0ClearingPagingFaultsWithoutUnrestrictedGuest() {
        // mov eax,cr0; and eax,0x7fffffff; mov cr0,eax; hlt
        String code = "0f20c0 25ffffff7f 0f22c0 f4";
        try (Guest g = Guest.pagedFlat32(0x1000, Guest.hex(code))) {
            secondary(g, 0, ProcBased2.UNRESTRICTED_GUEST);
            g.vcpu.vmcs.write(VmcsField.EXCEPTION_BITMAP, 1 << 13);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason, e.message);
            assertEquals(13, e.vector);
            assertEquals(0x1008, e.rip, "at the MOV to CR0");
            assertTrue((g.regs().cr0 & 0x80000000L) != 0, "paging still on");
        }
        try (Guest g = Guest.pagedFlat32(0x1000, Guest.hex(code))) {
            assertEquals(ExitReason.HLT, g.run().reason, "with unrestricted guest the guest may turn paging off");
            assertEquals(0, g.regs().cr0 & 0x80000000L);
        }
    }

    @Test
    void devicePagesAreHolesThatStillReachTheirDevices() {
        List<String> seen = new ArrayList<>();
        try (PhysicalMemory mem = new PhysicalMemory(); InterpreterBackend backend = new InterpreterBackend()) {
            mem.addRam("ram", 0, 1 << 20);
            mem.addMmio("dev", 0xd0000000L, 0x1000, new MmioDevice() {
                @Override public long read(long offset, int size) { seen.add("r" + offset); return 0x42; }
                @Override public void write(long offset, int size, long value) { seen.add("w" + offset + "=" + value); }
            });
            backend.syncMemory(mem);
            Ept id = backend.identityEpt();
            assertEquals(0, id.entry(0xd0000000L, 1), "the device page is not in the EPT");
            assertNotEquals(0, id.entry(0xd0001000L, 1), "its neighbour is");
            InterpreterVcpu vcpu = (InterpreterVcpu) backend.createVcpu(0);
            // mov eax,[0xd0000004]; mov [0xd0000008],eax; mov ebx,[0xe0000000]; hlt
            mem.write(0x1000, Guest.hex("a1040000d0 a3080000d0 8b1d000000e0 f4"));
            vcpu.setRegisters(X86Registers.flat32(0x1000));
            ExitInfo e = new ExitInfo();
            vcpu.run(e);
            int exits = 0;
            while (e.reason == ExitReason.EPT_VIOLATION && e.size > 0) { // the runtime's MMIO handler, in short
                if (e.in) e.data.set(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0, (int) mem.read(e.guestPhysical, e.size));
                else mem.write(e.guestPhysical, e.size, e.data.get(java.lang.foreign.ValueLayout.JAVA_INT_UNALIGNED, 0));
                exits++;
                vcpu.run(e);
            }
            assertEquals(ExitReason.HLT, e.reason, e.message);
            assertEquals(2, exits, "one EPT violation per device access");
            assertEquals(List.of("r4", "w8=66"), seen);
            X86Registers r = new X86Registers();
            vcpu.getRegisters(r);
            assertEquals(0x42, r.gpr[X86Registers.EAX]);
            assertEquals(-1, r.gpr[X86Registers.EBX], "unassigned space reads as before EPT: all ones");
            assertEquals(2, vcpu.tlbCounters().eptExits(), "the two device accesses, and nothing for RAM or unassigned space");
        }
    }
}
