package dev.trapdoor.kvm;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.memory.Region;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.lang.foreign.ValueLayout;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Memory slots (RAM shared, ROM read-only, regions added later) and fault-like exits. */
class KvmMemoryAndFaultTest {
    @BeforeAll
    static void needKvm() {
        String why = KvmBackend.availability();
        Assumptions.assumeTrue(why == null, why);
    }

    @Test
    void ramIsSharedAndRegionsAddedLaterAreMappedOnTheNextSync() {
        try (KvmGuest g = new KvmGuest()) {
            Region.Ram high = g.memory.addRam("high", 0x200000, 0x1000);
            g.backend.syncMemory(g.memory);
            g.memory.write32(0x200010, 0x600d);
            g.flat32(
                    0xa1, 0x10, 0x00, 0x20, 0x00,                              // mov eax, [0x200010]
                    0xc7, 0x05, 0x00, 0x00, 0x20, 0x00, 0xef, 0xbe, 0xad, 0xde, // mov dword [0x200000], 0xdeadbeef
                    0xf4);                                                     // hlt
            assertEquals(ExitReason.HLT, g.run().reason, "no MMIO exit: the new region has a slot");
            assertEquals(0x600d, g.registers().gpr[X86Registers.EAX]);
            assertEquals(0xdeadbeef, high.host().get(ValueLayout.JAVA_INT_UNALIGNED, 0), "the guest wrote the host segment itself");
        }
    }

    @Test
    void romReadsRunAndRomWritesBecomeMmioWrites() {
        try (KvmGuest g = new KvmGuest()) {
            g.memory.addRom("rom", 0x300000, new byte[] {0x11, 0x22, 0x33, 0x44});
            g.backend.syncMemory(g.memory);
            g.flat32(
                    0xa1, 0x00, 0x00, 0x30, 0x00,                              // mov eax, [0x300000]
                    0xc7, 0x05, 0x00, 0x00, 0x30, 0x00, 0x78, 0x56, 0x34, 0x12, // mov dword [0x300000], 0x12345678
                    0xf4);                                                     // hlt
            ExitInfo e = g.run();
            // Read-only slots need KVM_CAP_READONLY_MEM; without it ROM is writable and the guest reaches HLT.
            Assumptions.assumeTrue(e.reason != ExitReason.HLT, "KVM maps ROM writable here (no KVM_CAP_READONLY_MEM)");
            assertEquals(ExitReason.EPT_VIOLATION, e.reason);
            assertFalse(e.in);
            assertEquals(0x300000L, e.guestPhysical);
            assertEquals(0x12345678, e.data.get(ValueLayout.JAVA_INT_UNALIGNED, 0));
            assertEquals(ExitReason.HLT, g.run().reason);
            assertEquals(0x44332211, g.registers().gpr[X86Registers.EAX]);
            assertEquals(0x44332211, g.memory.read32(0x300000), "ROM is unchanged");
        }
    }

    @Test
    void aFaultWithNoIdtIsATripleFault() {
        try (KvmGuest g = new KvmGuest()) {
            g.flat32(0x0f, 0x0b, 0xf4);   // ud2; hlt
            X86Registers r = g.registers();
            r.idtBase = 0;
            r.idtLimit = 0;               // every vector is outside the IDT: #UD -> #GP -> #DF -> shutdown
            g.vcpu.setRegisters(r);
            ExitInfo e = g.run();
            assertEquals(ExitReason.TRIPLE_FAULT, e.reason, e.message);
        }
    }

    @Test
    void singleStepsAreDebugExceptions() {
        try (KvmGuest g = new KvmGuest()) {
            g.realMode(0x90, 0x90, 0xf4); // nop; nop; hlt
            KvmVcpu handle = debugHandle(g, KvmAbi.GUESTDBG_ENABLE | KvmAbi.GUESTDBG_SINGLESTEP);
            ExitInfo e = g.run();
            Assumptions.assumeTrue(e.reason == ExitReason.EXCEPTION_NMI,
                    "this KVM does not single-step the guest (exit " + e.reason + " " + e.message + ")");
            assertEquals(1, e.vector);
            assertTrue((e.qualification & 0x4000) != 0, "BS: the #DB came from single-stepping");
            assertEquals(0x1001, e.rip, "#DB is a trap: RIP is after the stepped nop");
            e = g.run();
            assertEquals(1, e.vector);
            assertEquals(0x1002, e.rip);
            handle.setGuestDebug(0, null);
            assertEquals(ExitReason.HLT, g.run().reason);
        }
    }

    @Test
    void softwareBreakpointsAreDebugExceptions() {
        try (KvmGuest g = new KvmGuest()) {
            g.realMode(0x90, 0xcc, 0xf4); // nop; int3; hlt
            // If KVM lets the int3 reach the guest, IVT vector 3 leads to "out 0x99, al" instead of running off into memory.
            g.memory.write(0x1100, KvmGuest.bytes(0xe6, 0x99, 0xf4));
            g.memory.write16(3 * 4, 0x1100);
            debugHandle(g, KvmAbi.GUESTDBG_ENABLE | KvmAbi.GUESTDBG_USE_SW_BP);
            ExitInfo e = g.run();
            Assumptions.assumeTrue(e.reason == ExitReason.EXCEPTION_NMI,
                    "this KVM delivers int3 to the guest despite KVM_GUESTDBG_USE_SW_BP (exit " + e.reason + ")");
            assertEquals(3, e.vector);
            assertEquals(0x1001, e.rip, "the breakpoint exit stops at the int3");
        }
    }

    private static KvmVcpu debugHandle(KvmGuest g, int control) {
        KvmVcpu handle = ((KvmVcpuBackend) g.vcpu).handle();
        try {
            handle.setGuestDebug(control, null);
        } catch (KvmException ex) {
            Assumptions.abort("KVM_SET_GUEST_DEBUG is not supported here: " + ex.getMessage());
        }
        return handle;
    }
}
