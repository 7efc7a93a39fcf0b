package dev.trapdoor.api;

import dev.trapdoor.devices.PioDevice;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.ProcBased;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.VmcsField;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

/** The VMCS as the runtime uses it: controls set from the API on a PC board, and the exit cost model. */
class VmcsRuntimeTest {
    private static Vm tickVm(Hypervisor hv) {
        Vm vm = hv.newVm().board("pc").memory("64K").build();
        vm.load(HexFormat.of().parseHex(PcBoardTestCode.TICKS), 0x1000);
        vm.load(HexFormat.of().parseHex(PcBoardTestCode.HANDLER), 0x1100);
        vm.getVcpu().resetRealMode(0, 0x1000);
        return vm;
    }

    /** The tick guest of PcBoardTest: 10 PIT interrupts through the 8259 while it halts, then isa-debug-exit. */
    static final class PcBoardTestCode {
        static final String TICKS = "fab011e620b020e621b004e621b001e621b0fee621c70680000011c70682000000"
                + "b034e643b0e8e640b003e640fbf4833e00050a72f8faa10005e6f4f4";
        static final String HANDLER = "ff060005b020e620cf";
    }

    @Test
    void hltExitingOffStillWakesOnThePcBoardTimers() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = tickVm(hv);
            vm.getVmcs().disable(VmcsField.PROC_BASED_CONTROLS, "HLT_EXITING");
            RunResult r = vm.run();
            assertEquals(StopReason.SHUTDOWN, r.reason(), r.toString());
            assertEquals((10 << 1) | 1, r.status());
            assertEquals(0, vm.getExits().get(ExitReason.HLT), vm.getExits().table());
            assertTrue(vm.getExits().get(ExitReason.PREEMPTION_TIMER) >= 10, vm.getExits().table());
            long ns = vm.getClock().now();
            assertTrue(ns >= 9 * 838_000L && ns < 11 * 838_000L, "virtual time " + ns);
        }
    }

    @Test
    void ioBitmapsSendOnlyTheMarkedPortOut() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = tickVm(hv);
            Vmcs v = vm.getVmcs();
            v.disable(VmcsField.PROC_BASED_CONTROLS, "UNCONDITIONAL_IO_EXITING");
            v.enable(VmcsField.PROC_BASED_CONTROLS, "USE_IO_BITMAPS");
            v.ioBitmaps().set(0xf4, true); // isa-debug-exit only: the 8259 and PIT are reached without exits
            RunResult r = vm.run();
            assertEquals((10 << 1) | 1, r.status(), r.toString());
            assertEquals(1, vm.getExits().get(ExitReason.IO_INSTRUCTION), vm.getExits().table());
            assertEquals(0xf4, v.read(VmcsField.EXIT_QUALIFICATION) >>> 16, "the last exit was the OUT to 0xf4 (port in bits 31:16)");
        }
    }

    @Test
    void aShutdownThroughAPortThatDoesNotExitStillEndsTheRun() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = tickVm(hv);
            Vmcs v = vm.getVmcs();
            v.disable(VmcsField.PROC_BASED_CONTROLS, "UNCONDITIONAL_IO_EXITING");
            v.enable(VmcsField.PROC_BASED_CONTROLS, "USE_IO_BITMAPS"); // empty bitmaps: no port exits
            RunResult r = vm.run();
            assertEquals(StopReason.SHUTDOWN, r.reason(), r.toString());
            assertEquals((10 << 1) | 1, r.status());
            assertEquals(0, vm.getExits().get(ExitReason.IO_INSTRUCTION), vm.getExits().table());
        }
    }

    /** Flat real-mode guest: six OUTs to 0x500, then cli; hlt. */
    private static Vm outVm(Hypervisor hv) {
        Vm vm = hv.newVm().memory("64K").build();
        vm.io().map("sink", 0x500, 1, new PioDevice() {
            @Override public int read(int offset, int size) { return 0; }
            @Override public void write(int offset, int size, int value) { }
        });
        // mov dx,0x500; out dx,al x6; cli; hlt
        vm.load(HexFormat.of().parseHex("ba0005" + "ee".repeat(6) + "faf4"), 0x1000);
        vm.getVcpu().resetRealMode(0, 0x1000);
        return vm;
    }

    @Test
    void exitsAreChargedByTheStateTheyMove() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = outVm(hv);
            ExitCostModel m = vm.getExitCosts();
            Vmcs v = vm.getVmcs();
            long bare = m.roundTrip(v);
            assertTrue(bare >= 1000 && bare <= 2500, "default round trip " + bare + " is in the published range");
            RunResult r = vm.run();
            assertEquals(StopReason.HALTED, r.reason(), r.toString());
            ExitCounters c = vm.getExits();
            assertEquals(6, c.get(ExitReason.IO_INSTRUCTION));
            assertEquals(6 * bare, c.cycles(ExitReason.IO_INSTRUCTION));
            assertEquals(bare, c.cycles(ExitReason.HLT));
            assertEquals(7 * bare, c.totalCycles());
            assertTrue(c.table().contains(String.valueOf(6 * bare)), c.table());
            // Virtual time: the instructions (1 ns each) plus every round trip (1 cycle = 1 ns).
            assertEquals(vm.getVcpu().getInstructions() + 7 * bare, vm.getClock().now());
        }
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = outVm(hv);
            ExitCostModel m = vm.getExitCosts();
            Vmcs v = vm.getVmcs();
            long bare = m.roundTrip(v);
            v.write(VmcsField.VM_EXIT_MSR_STORE_COUNT, 4);
            v.write(VmcsField.VM_ENTRY_MSR_LOAD_COUNT, 4);
            assertEquals(bare + 8 * m.perMsrListEntry, m.roundTrip(v));
            v.enable(VmcsField.PROC_BASED_CONTROLS, "ACTIVATE_SECONDARY_CONTROLS");
            v.enable(VmcsField.SECONDARY_PROC_BASED_CONTROLS, "ENABLE_VPID");
            v.write(VmcsField.VPID, 1);
            long tagged = m.roundTrip(v);
            assertEquals(bare + 8 * m.perMsrListEntry - 2 * m.tlbFlushPerTransition, tagged, "VPID saves the two flushes");
            m.chargeTime = false;
            vm.run();
            assertEquals(7 * tagged, vm.getExits().totalCycles());
            assertEquals(vm.getVcpu().getInstructions(), vm.getClock().now(), "not charged to virtual time");
        }
    }

    @Test
    void rdtscAndPauseExitsAreAnsweredByDefault() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().memory("64K").build();
            // rdtsc; pause; cli; hlt (real mode)
            vm.load(HexFormat.of().parseHex("0f31f390faf4"), 0x1000);
            vm.getVcpu().resetRealMode(0, 0x1000);
            vm.getVmcs().enable(VmcsField.PROC_BASED_CONTROLS, "RDTSC_EXITING", "PAUSE_EXITING", "USE_TSC_OFFSETTING");
            vm.getVmcs().set("TSC_OFFSET", 1L << 32);
            RunResult r = vm.run();
            assertEquals(StopReason.HALTED, r.reason(), r.toString());
            assertEquals(1, vm.getExits().get(ExitReason.RDTSC));
            assertEquals(1, vm.getExits().get(ExitReason.PAUSE));
            assertEquals(1, vm.getVcpu().get("edx"), "the VMCS TSC offset is in the answer");
            long low = vm.getVcpu().get("eax");
            assertTrue(low > 0 && low < vm.getClock().now(), "the virtual clock at the RDTSC, after one exit's cost: " + low);
        }
    }

    @Test
    void aScriptHandlesCr3LoadExitsWithTheQualification() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().memory("64K").build();
            // mov eax,0x5000; mov cr3,eax; mov ebx,cr3; cli; hlt (32-bit code from a flat start)
            vm.load(HexFormat.of().parseHex("b800500000 0f22d8 0f20db faf4".replace(" ", "")), 0x1000);
            vm.getVcpu().resetFlat32(0x1000);
            vm.getVmcs().enable(VmcsField.PROC_BASED_CONTROLS, "CR3_LOAD_EXITING");
            java.util.List<Long> seen = new java.util.ArrayList<>();
            vm.onExit("CR_ACCESS", e -> {
                seen.add(e.getQualification());
                Vcpu c = e.getVcpu();
                c.set("cr3", c.get("eax")); // emulate the load: the qualification says MOV to CR3 from EAX
                c.set("eip", e.getRip() + e.getInstructionLength());
                return Action.HANDLED;
            });
            RunResult r = vm.run();
            assertEquals(StopReason.HALTED, r.reason(), r.toString());
            assertEquals(java.util.List.of(3L), seen, "CR 3, MOV to CR, GPR 0 (SDM Table 28-3)");
            assertEquals(0x5000, vm.getVcpu().get("ebx"), "MOV from CR3 saw the emulated load");
            assertEquals(1, vm.getExits().get(ExitReason.CR_ACCESS));
        }
    }

    @Test
    void msrBitmapLetsReadsOfTheVmsMsrsCompleteWithoutExits() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = hv.newVm().memory("64K").build();
            // mov ecx,0x1a0; rdmsr; mov ebx,eax; mov ecx,0x10; rdmsr; cli; hlt (real mode, 32-bit operands)
            vm.load(HexFormat.of().parseHex("66b9a0010000 0f32 6689c3 66b910000000 0f32 faf4".replace(" ", "")), 0x1000);
            vm.getVcpu().resetRealMode(0, 0x1000);
            vm.getVmcs().enable(VmcsField.PROC_BASED_CONTROLS, "USE_MSR_BITMAPS"); // all bits clear: no MSR exits
            RunResult r = vm.run();
            assertEquals(StopReason.HALTED, r.reason(), r.toString());
            assertEquals(0, vm.getExits().get(ExitReason.RDMSR));
            assertEquals(vm.getMsrs().read(0x1a0) & 0xffffffffL, vm.getVcpu().get("ebx"), "IA32_MISC_ENABLE from the VM's MSR table");
            assertTrue(vm.getVcpu().get("eax") > 0, "IA32_TSC read the virtual clock");
        }
    }

    @Test
    void theDefaultControlsAreTheOldOnes() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = outVm(hv);
            Vmcs v = vm.getVmcs();
            assertSame(v, vm.getVcpu().getVmcs());
            assertNotEquals(0, v.procBased() & ProcBased.HLT_EXITING);
            assertNotEquals(0, v.procBased() & ProcBased.UNCONDITIONAL_IO_EXITING);
            assertEquals(0, v.get("EXCEPTION_BITMAP"));
            v.putAt("EXCEPTION_BITMAP", "0x4000");
            assertEquals(0x4000, v.getAt("exception_bitmap"));
        }
    }
}
