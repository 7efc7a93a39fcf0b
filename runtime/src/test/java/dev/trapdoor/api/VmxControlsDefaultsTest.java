package dev.trapdoor.api;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.ProcBased;
import dev.trapdoor.vmx.ProcBased2;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.VmcsField;
import org.junit.jupiter.api.Test;

import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The runtime's default handlers for the exits a script can turn on: with any of these controls
 * on, the guest still runs to the end and computes what it computes without them, and the exits
 * show in the counters.
 */
class VmxControlsDefaultsTest {
    private static final VmcsField PROC = VmcsField.PROC_BASED_CONTROLS, PIN = VmcsField.PIN_BASED_CONTROLS;

    /**
     * Flat 32-bit guest at 0x1000 on a bare VM: GDT at 0x500 (code 0x08, data 0x10), IDT at 0x2000
     * with #GP (13) to 0x3000 (drop the error code, step over a 2-byte instruction, inc edi, iret)
     * and NMI (2) to 0x3100 (inc esi; iret).
     */
    private static Vm flatVm(Hypervisor hv, String code) {
        Vm vm = hv.newVm().memory("64K").build();
        HexFormat hex = HexFormat.of();
        vm.load(hex.parseHex(code.replace(" ", "")), 0x1000);
        vm.load(hex.parseHex("0000000000000000ffff0000009acf00ffff00000092cf00"), 0x500);
        vm.load(hex.parseHex("83c404" + "83042402" + "47" + "cf"), 0x3000);
        vm.load(hex.parseHex("46cf"), 0x3100);
        vm.load(gate(0x3000), 0x2000 + 13 * 8);
        vm.load(gate(0x3100), 0x2000 + 2 * 8);
        Vcpu c = vm.getVcpu();
        X86Registers r = X86Registers.flat32(0x1000);
        r.gpr[X86Registers.ESP] = 0x8000;
        r.gdtBase = 0x500;
        r.gdtLimit = 0x17;
        r.idtBase = 0x2000;
        r.idtLimit = 0x7ff;
        c.setRegisters(r);
        return vm;
    }

    /** A 32-bit interrupt gate to handler in code segment 0x08. */
    private static byte[] gate(int handler) {
        int lo = 0x08 << 16 | (handler & 0xffff), hi = (handler & 0xffff0000) | 0x8e00;
        return new byte[] {(byte) lo, (byte) (lo >>> 8), (byte) (lo >>> 16), (byte) (lo >>> 24),
                (byte) hi, (byte) (hi >>> 8), (byte) (hi >>> 16), (byte) (hi >>> 24)};
    }

    private static long reg(Vm vm, String name) {
        return vm.getVcpu().get(name);
    }

    private static RunResult runToHalt(Vm vm) {
        RunResult r = vm.run();
        assertEquals(StopReason.HALTED, r.reason(), r + "\n" + vm.getExits().table());
        return r;
    }

    @Test
    void crAccessExitsAreEmulatedThroughTheMasksAndShadows() {
        String code = "0f20c0 83c808 0f22c0 0f20c3" // mov eax,cr0; or eax,8 (TS); mov cr0,eax; mov ebx,cr0
                + " 0f06 0f20c1"                      // clts; mov ecx,cr0
                + " b800300000 0f22d8 0f20da"         // mov eax,0x3000; mov cr3,eax; mov edx,cr3
                + " 0f20e0 83c810 0f22e0 0f20e6"      // mov eax,cr4; or eax,0x10 (PSE); mov cr4,eax; mov esi,cr4
                + " b80f000000 0f01f0 0f20c7"         // mov eax,0xf; lmsw ax; mov edi,cr0
                + " fa f4";
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = flatVm(hv, code);
            Vmcs v = vm.getVmcs();
            v.write(VmcsField.CR0_GUEST_HOST_MASK, 0xa); // MP and TS are the host's
            v.write(VmcsField.CR4_GUEST_HOST_MASK, 0x10); // and PSE
            v.enable(PROC, "CR3_LOAD_EXITING", "CR3_STORE_EXITING");
            runToHalt(vm);
            assertEquals(0x19, reg(vm, "ebx"), "TS as the guest wrote it");
            assertEquals(0x11, reg(vm, "ecx"), "CLTS cleared it");
            assertEquals(0x3000, reg(vm, "edx"));
            assertEquals(0x3000, reg(vm, "cr3"));
            assertEquals(0x10, reg(vm, "esi"));
            assertEquals(0x1f, reg(vm, "edi"), "LMSW set MP, EM, TS");
            assertEquals(0xa, v.read(VmcsField.CR0_READ_SHADOW));
            assertEquals(0x10, v.read(VmcsField.CR4_READ_SHADOW));
            assertEquals(6, vm.getExits().get(ExitReason.CR_ACCESS), vm.getExits().table());
        }
    }

    @Test
    void aRefusedControlRegisterValueBecomesAGuestGp() {
        // mov eax,0x80000000 (PG without PE); mov cr0,eax; cli; hlt. The #GP handler steps over the 3-byte MOV.
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = flatVm(hv, "b800000080 0f22c0 fa f4");
            vm.load(HexFormat.of().parseHex("83c404" + "83042403" + "47" + "cf"), 0x3000);
            vm.getVmcs().write(VmcsField.CR0_GUEST_HOST_MASK, 1L << 31);
            vm.getVmcs().write(VmcsField.CR0_READ_SHADOW, 0);
            RunResult r = vm.run();
            assertEquals(1, reg(vm, "edi"), "the guest's #GP handler ran: " + r);
            assertEquals(0x11, reg(vm, "cr0") & 0x80000011L, "CR0 unchanged");
        }
    }

    @Test
    void movDrVmcallDescriptorTablesCachesAndMonitorAllComplete() {
        String code = "b878563412 0f23c0 0f21c3"        // mov eax,0x12345678; mov dr0,eax; mov ebx,dr0
                + " b800000000 0f01c1 89c1"           // vmcall 0 (version) -> ecx
                + " b899000000 0f01c1 89c2"           // vmcall 0x99 (unknown) -> edx
                + " b800010000 be15000000 0f01c1 89c7" // vmcall 0x100 (script: esi * 2) -> edi
                + " 0f010500400000 0f011510400000"    // sgdt [0x4000]; lgdt [0x4010]
                + " 0f00c8 0f09 0f08 0f01c8 0f01c9"   // str eax; wbinvd; invd; monitor; mwait
                + " fa f4";
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = flatVm(hv, code);
            vm.load(HexFormat.of().parseHex("1f00" + "00050000"), 0x4010);
            vm.getHypercalls().on(0x100, vcpu -> vcpu.getEsi() * 2);
            Vmcs v = vm.getVmcs();
            v.enable(PROC, "MOV_DR_EXITING", "MONITOR_EXITING", "MWAIT_EXITING", "ACTIVATE_SECONDARY_CONTROLS");
            v.enable(VmcsField.SECONDARY_PROC_BASED_CONTROLS, "DESCRIPTOR_TABLE_EXITING", "WBINVD_EXITING");
            runToHalt(vm);
            ExitCounters c = vm.getExits();
            assertEquals(0x12345678, reg(vm, "ebx"));
            assertEquals(Hypercalls.ABI_VERSION, reg(vm, "ecx"));
            assertEquals(Hypercalls.ENOSYS & 0xffffffffL, reg(vm, "edx"));
            assertEquals(42, reg(vm, "edi"));
            assertEquals(3, vm.getHypercalls().getCalls());
            assertEquals(0x17, vm.memory().physical().read(0x4000, 2), "SGDT stored the old limit");
            assertEquals(0x500, vm.memory().physical().read(0x4002, 4));
            assertEquals(0x1f, vm.getVcpu().getRegisters().gdtLimit, "LGDT ran");
            assertEquals(2, c.get(ExitReason.DR_ACCESS), c.table());
            assertEquals(3, c.get(ExitReason.VMCALL));
            assertEquals(2, c.get(ExitReason.GDTR_IDTR_ACCESS));
            assertEquals(1, c.get(ExitReason.LDTR_TR_ACCESS));
            assertEquals(3, c.get(ExitReason.MONITOR_TRAP_FLAG), "one native step per descriptor-table exit");
            assertEquals(1, c.get(ExitReason.WBINVD));
            assertEquals(1, c.get(ExitReason.INVD));
            assertEquals(1, c.get(ExitReason.MONITOR));
            assertEquals(1, c.get(ExitReason.MWAIT));
            assertNotEquals(0, v.procBased2() & ProcBased2.DESCRIPTOR_TABLE_EXITING, "restored after each native step");
            assertEquals(0, v.procBased() & ProcBased.MONITOR_TRAP_FLAG);
        }
    }

    @Test
    void rdpmcAndReflectedExceptionsReachTheGuestHandler() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = flatVm(hv, "0f33 0f33 fa f4");
            vm.getVmcs().enable(PROC, "RDPMC_EXITING");
            runToHalt(vm);
            assertEquals(2, reg(vm, "edi"), "#GP(0) injected for each RDPMC");
            assertEquals(2, vm.getExits().get(ExitReason.RDPMC));
        }
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = flatVm(hv, "0f33 0f33 fa f4");
            vm.getVmcs().write(VmcsField.EXCEPTION_BITMAP, 1 << 13);
            runToHalt(vm);
            assertEquals(2, reg(vm, "edi"), "the intercepted #GP was reflected");
            assertEquals(2, vm.getExits().get(ExitReason.EXCEPTION_NMI));
        }
    }

    @Test
    void anInterceptedInt3IsReflectedAsASoftwareException() {
        // int3; cli; hlt. Vector 3 -> 0x3200: mov eax,[esp]; iret (the pushed return address is past the INT3).
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = flatVm(hv, "cc fa f4");
            vm.load(HexFormat.of().parseHex("8b0424cf"), 0x3200);
            vm.load(gate(0x3200), 0x2000 + 3 * 8);
            vm.getVmcs().write(VmcsField.EXCEPTION_BITMAP, 1 << 3);
            runToHalt(vm);
            assertEquals(0x1001, reg(vm, "eax"));
            assertEquals(1, vm.getExits().get(ExitReason.EXCEPTION_NMI));
        }
    }

    @Test
    void aVmcallFromRing3GetsEperm() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = flatVm(hv, "b800000000 0f01c1 f4");
            X86Registers r = vm.getVcpu().getRegisters();
            for (int s = 0; s < 6; s++) r.seg[s].access |= 3 << 5;
            vm.getVcpu().setRegisters(r);
            vm.getHypercalls().on(0, vcpu -> fail("a ring-3 VMCALL reached a handler"));
            vm.run();
            assertEquals(Hypercalls.EPERM & 0xffffffffL, reg(vm, "eax"));
        }
    }

    @Test
    void anExitingNmiIsInjectedAsAVirtualNmi() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = flatVm(hv, "90 90 fa f4");
            Vmcs v = vm.getVmcs();
            v.enable(PIN, "NMI_EXITING", "VIRTUAL_NMIS");
            assertTrue(vm.getVcpu().injectNmi());
            runToHalt(vm);
            assertEquals(1, reg(vm, "esi"), "the guest's NMI handler ran once");
            assertEquals(1, vm.getExits().get(ExitReason.EXCEPTION_NMI), vm.getExits().table());
            assertEquals(0, v.read(VmcsField.GUEST_INTERRUPTIBILITY_STATE), "its IRET ended virtual-NMI blocking");
        }
    }

    @Test
    void anExitingInterruptWaitsForTheGuestsWindow() {
        // cli; inc ebx x3; sti; nop; cli; hlt. Vector 0x30 -> 0x3200: mov ecx,ebx; iret.
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = flatVm(hv, "fa 43 43 43 fb 90 fa f4");
            vm.load(HexFormat.of().parseHex("89d9cf"), 0x3200);
            vm.load(gate(0x3200), 0x2000 + 0x30 * 8);
            vm.getVmcs().enable(PIN, "EXTERNAL_INTERRUPT_EXITING");
            vm.getVmcs().enable(VmcsField.VM_EXIT_CONTROLS, "ACKNOWLEDGE_INTERRUPT_ON_EXIT");
            vm.getVcpu().injectInterrupt(0x30);
            runToHalt(vm);
            assertEquals(3, reg(vm, "ecx"), "delivered once IF was set and STI's shadow had passed");
            assertEquals(1, vm.getExits().get(ExitReason.EXTERNAL_INTERRUPT));
            assertEquals(1, vm.getExits().get(ExitReason.INTERRUPT_WINDOW), vm.getExits().table());
            assertEquals(0, vm.getVmcs().procBased() & ProcBased.INTERRUPT_WINDOW_EXITING, "the injector turned its window off");
        }
    }

    /** The PC-board tick guest of {@link VmcsRuntimeTest}: 10 PIT interrupts through the 8259, then isa-debug-exit. */
    private static Vm tickVm(Hypervisor hv) {
        Vm vm = hv.newVm().board("pc").memory("64K").build();
        vm.load(HexFormat.of().parseHex(VmcsRuntimeTest.PcBoardTestCode.TICKS), 0x1000);
        vm.load(HexFormat.of().parseHex(VmcsRuntimeTest.PcBoardTestCode.HANDLER), 0x1100);
        vm.getVcpu().resetRealMode(0, 0x1000);
        return vm;
    }

    private static void assertTicked(Vm vm) {
        RunResult r = vm.run();
        assertEquals(StopReason.SHUTDOWN, r.reason(), r + "\n" + vm.getExits().table());
        assertEquals((10 << 1) | 1, r.status(), "ten timer interrupts reached the guest's handler\n" + vm.getExits().table());
    }

    @Test
    void externalInterruptExitingOnTheBoardWithAndWithoutAcknowledge() {
        for (boolean ack : new boolean[] {true, false}) {
            try (Hypervisor hv = Hypervisor.create()) {
                Vm vm = tickVm(hv);
                if (ack) {
                    // The 8259 requests IRQ0 from power-up, before the guest programs it (vector base 0). With
                    // "acknowledge on exit" the CPU would take that vector at the first instruction, while IF = 0,
                    // and the runtime could only inject it later, stale. So the controls go on once the PIC is
                    // programmed, at the guest's STI.
                    Breakpoint at = vm.breakAt(0x102d);
                    assertEquals(StopReason.BREAKPOINT, vm.run().reason());
                    vm.delete(at.id());
                    vm.getVmcs().enable(VmcsField.VM_EXIT_CONTROLS, "ACKNOWLEDGE_INTERRUPT_ON_EXIT");
                }
                vm.getVmcs().enable(PIN, "EXTERNAL_INTERRUPT_EXITING");
                assertTicked(vm);
                assertTrue(vm.getExits().get(ExitReason.EXTERNAL_INTERRUPT) >= 10, "ack " + ack + ": " + vm.getExits().table());
            }
        }
    }

    @Test
    void everyControlAtOnceStillRunsTheBoardGuest() {
        try (Hypervisor hv = Hypervisor.create()) {
            Vm vm = tickVm(hv);
            Vmcs v = vm.getVmcs();
            v.enable(PIN, "EXTERNAL_INTERRUPT_EXITING", "NMI_EXITING", "VIRTUAL_NMIS");
            v.enable(PROC, "INTERRUPT_WINDOW_EXITING", "NMI_WINDOW_EXITING", "MONITOR_TRAP_FLAG", "CR3_LOAD_EXITING", "CR3_STORE_EXITING",
                    "MOV_DR_EXITING", "INVLPG_EXITING", "RDTSC_EXITING", "RDPMC_EXITING", "MONITOR_EXITING", "MWAIT_EXITING",
                    "PAUSE_EXITING", "ACTIVATE_SECONDARY_CONTROLS");
            v.enable(VmcsField.SECONDARY_PROC_BASED_CONTROLS, "DESCRIPTOR_TABLE_EXITING", "WBINVD_EXITING");
            v.write(VmcsField.EXCEPTION_BITMAP, 0xffffffffL);
            v.write(VmcsField.CR0_GUEST_HOST_MASK, 0xffffffffL);
            v.write(VmcsField.CR0_READ_SHADOW, vm.getVcpu().get("cr0"));
            v.write(VmcsField.CR4_GUEST_HOST_MASK, 0xffffffffL);
            // Exits are charged to virtual time (ExitCostModel), so with an exit per instruction a tick may land
            // between the guest's last count check and its CLI: at least ten ticks, then the exit.
            RunResult r = vm.run();
            assertEquals(StopReason.SHUTDOWN, r.reason(), r + "\n" + vm.getExits().table());
            assertEquals(1, r.status() & 1);
            assertTrue((r.status() >> 1) >= 10, "ticks " + (r.status() >> 1));
            ExitCounters c = vm.getExits();
            assertTrue(c.get(ExitReason.MONITOR_TRAP_FLAG) > 50, c.table());
            assertTrue(c.get(ExitReason.EXTERNAL_INTERRUPT) >= 10, c.table());
        }
    }
}
