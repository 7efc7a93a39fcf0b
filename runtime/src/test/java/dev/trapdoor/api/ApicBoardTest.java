package dev.trapdoor.api;

import dev.trapdoor.arch.CpuidTable;
import dev.trapdoor.devices.apic.IoApic;
import dev.trapdoor.devices.apic.LocalApic;
import dev.trapdoor.devices.pic.DualPic;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The PC board's APICs on the interpreter. The guests are apic-timer-guest.S (test resources),
 * assembled with {@code gcc -m32 -x assembler-with-cpp -DVEC=... [-DLAPIC_TIMER]} and linked flat at
 * 0x1000: protected mode with a GDT and an IDT entry for VEC, the local APIC software-enabled, the 8259
 * masked, then
 * either the local APIC timer (periodic, divide by 1, initial count 100000: 100 us) or the PIT
 * (mode 2, count 1000) through IO-APIC pin 2 with LINT0 masked too; `sti; hlt` until the
 * handler (count at 0x500, EOI to the local APIC) has run ten times; the count goes to isa-debug-exit.
 */
class ApicBoardTest {
    static final String LAPIC_TIMER = "0f0115b8100000ea0e100000080066b810008ed88ec08ed0bc00800000b88c10000066a30032000066c70502320000080066c70504320000008e"
            + "c1e81066a3063200000f011dbe100000c705f000e0feff010000b0ffe621e6a1c705e003e0fe0b000000c7052003e0fe40000200c7058003e0fe"
            + "a0860100fbf4833d000500000a72f6faa100050000e7f4f4ff0500050000c705b000e0fe00000000cf8d76000000000000000000ffff0000009a"
            + "cf00ffff00000092cf001700a0100000070200300000";
    /** LAPIC_TIMER built with -DNO_IRET: the handler drops its frame and jumps back to `sti; hlt` (for kvm_pvm, which cannot emulate IRET). */
    static final String LAPIC_TIMER_NO_IRET = "0f0115c0100000ea0e100000080066b810008ed88ec08ed0bc00800000b88e10000066a30032000066c70502320000080066c70504320000008e"
            + "c1e81066a3063200000f011dc6100000c705f000e0feff010000b0ffe621e6a1c705e003e0fe0b000000c7052003e0fe40000200c7058003e0fe"
            + "a0860100833d000500000a7304fbf4ebf3faa100050000e7f4f4ff0500050000c705b000e0fe0000000083c40cebd58d74260090000000000000"
            + "0000ffff0000009acf00ffff00000092cf001700a8100000070200300000";
    static final String PIT_VIA_IOAPIC = "0f0115d8100000ea0e100000080066b810008ed88ec08ed0bc00800000b8ac10000066a38831000066c7058a"
            + "310000080066c7058c310000008ec1e81066a38e3100000f011dde100000c705f000e0feff010000b0ffe621e6a1c7055003e0fe00070100c705"
            + "0000c0fe14000000c7051000c0fe31000000c7050000c0fe15000000c7051000c0fe00000000b034e643b0e8e640b003e640fbf4833d00050000"
            + "0a72f6faa100050000e7f4f4ff0500050000c705b000e0fe00000000cf8d76000000000000000000ffff0000009acf00ffff00000092cf001700"
            + "c01000008f0100300000";

    private static Vm flatVm(Hypervisor hv, String hex, String memory) {
        Vm vm = hv.newVm().board("pc").memory(memory).build();
        vm.load(HexFormat.of().parseHex(hex), 0x1000);
        vm.getVcpu().resetFlat32(0x1000);
        return vm;
    }

    @Test
    void theLocalApicTimerWakesAHaltedGuestEvery100Microseconds() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = flatVm(hv, LAPIC_TIMER, "64K");
            RunResult r = vm.run();
            assertEquals(StopReason.SHUTDOWN, r.reason(), r.toString());
            assertEquals((10 << 1) | 1, r.status(), "ten timer interrupts, then isa-debug-exit");
            long ns = vm.getClock().now();
            assertTrue(ns >= 1_000_000 && ns < 1_100_000, "ten 100 us periods of virtual time, not " + ns);
            LocalApic lapic = (LocalApic) vm.device("lapic");
            assertEquals(10, lapic.acknowledgeCount());
            assertEquals(0, ((DualPic) vm.device("pic")).acknowledgeCount());
        }
    }

    @Test
    void theNoIretVariantCountsTheSame() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = flatVm(hv, LAPIC_TIMER_NO_IRET, "64K");
            RunResult r = vm.run();
            assertEquals((10 << 1) | 1, r.status(), r.toString());
        }
    }

    @Test
    void aTimerProgrammedMidRunIsMetWithoutAnExit() {
        // The same guest spinning (nop instead of hlt), with MMIO going straight to the device (no exit): nothing
        // brings the vCPU back, so the local APIC's MMIO write itself must pull the run's instruction limit in.
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = flatVm(hv, LAPIC_TIMER.replace("fbf4833d", "fb90833d"), "64K");
            vm.getVcpu().setMmioExits(false);
            RunResult r = vm.run();
            assertEquals((10 << 1) | 1, r.status(), r.toString());
            long ns = vm.getClock().now();
            assertTrue(ns >= 1_000_000 && ns < 1_010_000, "interrupts on time while spinning: " + ns + " ns");
        }
    }

    @Test
    void thePitReachesTheGuestThroughIoApicPin2() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = flatVm(hv, PIT_VIA_IOAPIC, "64K");
            RunResult r = vm.run();
            assertEquals(StopReason.SHUTDOWN, r.reason(), r.toString());
            assertEquals((10 << 1) | 1, r.status());
            long ns = vm.getClock().now();
            // Ten periods, none lost: an interrupt that the exit's cost made pending wakes the HLT at once.
            assertTrue(ns >= 9 * 838_000L && ns < 11 * 838_000L, "ten PIT periods of 838 us: " + ns);
            IoApic io = (IoApic) vm.device("ioapic");
            assertEquals(0x31, io.entry(2) & 0xff);
            assertTrue(io.messages() >= 10, "messages " + io.messages());
            assertEquals(0, ((DualPic) vm.device("pic")).acknowledgeCount(), "the 8259 masked and LINT0 masked");
        }
    }

    @Test
    void theRealModePicGuestStillRunsThroughLint0() {
        // PcBoardTest's tick guest never touches the APIC: the 8259 reaches the CPU in virtual-wire mode.
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().board("pc").memory("64K").build();
            vm.load(HexFormat.of().parseHex("fab011e620b020e621b004e621b001e621b0fee621c70680000011c70682000000"
                    + "b034e643b0e8e640b003e640fbf4833e00050a72f8faa10005e6f4f4"), 0x1000);
            vm.load(HexFormat.of().parseHex("ff060005b020e620cf"), 0x1100);
            vm.getVcpu().resetRealMode(0, 0x1000);
            RunResult r = vm.run();
            assertEquals((10 << 1) | 1, r.status(), r.toString());
            assertEquals(10, ((DualPic) vm.device("pic")).acknowledgeCount());
        }
    }

    @Test
    void cpuidAndTheBaseMsrShowTheApicOnlyWhenTheBoardHasOne() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm with = hv.newVm().board("pc").memory("1M").build();
            assertNotEquals(0, with.getCpuid().get(1, 0).edx() & CpuidTable.EDX_APIC);
            assertEquals(new CpuidTable.Leaf(1, 1, 1_000_000_000, 0), with.getCpuid().get(0x15, 0),
                    "TSC = crystal = the APIC timer's 1 GHz input (SDM 11.5.4)");
            assertEquals(0x15, with.getCpuid().get(0, 0).eax());
            assertEquals(new CpuidTable.Leaf(0, 0, 0, 0), with.getCpuid().get(7, 0), "leaves below 0x15 enumerate nothing");
            assertEquals(0xfee00900L, with.getMsrs().read(LocalApic.IA32_APIC_BASE));
            assertFalse(with.getMsrs().write(LocalApic.IA32_APIC_BASE, 0xfee00d00L), "x2APIC enable: #GP");
            assertFalse(with.getMsrs().write(LocalApic.IA32_APIC_BASE, 0x00000900L), "onto RAM: refused");
            assertTrue(with.getMsrs().write(LocalApic.IA32_APIC_BASE, 0xfed00900L));
            assertEquals(0x00050014, with.memory().physical().read32(0xfed00030L), "the page moved");
            assertNull(with.memory().physical().regionAt(0xfee00000L));
            Vm without = hv.newVm().board("pc").apic(false).memory("1M").build();
            assertEquals(0, without.getCpuid().get(1, 0).edx() & CpuidTable.EDX_APIC);
            assertEquals(1, without.getCpuid().get(0, 0).eax());
            assertNull(without.getMsrs().read(LocalApic.IA32_APIC_BASE));
            assertFalse(without.getDevices().containsKey("lapic"));
            assertEquals(0, without.memory().physical().read32(MpTableLayout.EBDA), "no MP table without APICs");
        }
    }

    @Test
    void firmwareLeavesAnMpTableInTheEbda() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().board("pc").memory("1M").build();
            MpTableLayout t = MpTableLayout.read(vm.memory().physical(), MpTableLayout.EBDA);
            assertEquals(0xfee00000L, t.localApic());
            assertEquals(java.util.List.of("processor 0 BSP", "bus 0 PCI", "bus 1 ISA", "ioapic 1 at fec00000"), t.headEntries());
            assertEquals("ISA 0 -> ioapic 1 pin 2", t.ioInterrupts().getFirst());
            assertEquals(15, t.ioInterrupts().size(), "ISA IRQs 0-15 but the cascade");
            assertFalse(t.ioInterrupts().stream().anyMatch(s -> s.startsWith("ISA 2 ")));
            assertEquals(java.util.List.of("ExtINT -> LINT0", "NMI -> LINT1"), t.localInterrupts());
        }
    }
}
