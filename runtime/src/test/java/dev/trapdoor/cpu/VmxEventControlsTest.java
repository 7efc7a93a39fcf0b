package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.vmx.ExitControls;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.InterruptionInfo;
import dev.trapdoor.vmx.PinBased;
import dev.trapdoor.vmx.ProcBased;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.VmcsField;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The event controls of SDM Vol. 3C, 26.2 and 26.7: external-interrupt exiting with and without
 * "acknowledge interrupt on exit", NMI exiting, virtual NMIs and NMI-window exiting, blocking by
 * MOV SS, and the monitor trap flag.
 */
class VmxEventControlsTest {
    private static void pin(Guest g, int bits) {
        g.vcpu.vmcs.write(VmcsField.PIN_BASED_CONTROLS, PinBased.DEFAULT1 | bits);
    }

    private static void proc(Guest g, int on) {
        Vmcs v = g.vcpu.vmcs;
        v.write(VmcsField.PROC_BASED_CONTROLS, v.read(VmcsField.PROC_BASED_CONTROLS) | on);
    }

    private static void eflags(Guest g, int value) {
        X86Registers r = g.regs();
        r.eflags = value;
        g.vcpu.setRegisters(r);
    }

    private static long field(Guest g, VmcsField f) {
        return g.vcpu.vmcs.read(f);
    }

    /** GDT, IDT at 0x2000 with an interrupt gate for vector 2 (NMI) to handler and 0x30 to 0x3100 (mov edi,0x30; out 0x80). */
    private static Guest withIdt(String code, int nmiHandler) {
        Guest g = Guest.flat32(0x1000, Guest.hex(code));
        ProtectedModeTest.setupGdt(g);
        ProtectedModeTest.gate(g, 0x2000, 2, nmiHandler, 0x8e);
        g.memory.write(0x3100, Guest.hex("bf30000000 e680"));
        ProtectedModeTest.gate(g, 0x2000, 0x30, 0x3100, 0x8e);
        ProtectedModeTest.setupIdt(g, 0x2000, 0x7ff);
        return g;
    }

    @Test
    void externalInterruptExitingAcknowledgesOnExitEvenWithIfClear() {
        // cli; nop; nop; hlt -- the interrupt is requested from the start, and IF = 0 does not mask it (SDM 25.3)
        try (Guest g = withIdt("fa 90 90 f4", 0x3000)) {
            pin(g, PinBased.EXTERNAL_INTERRUPT_EXITING);
            g.vcpu.vmcs.write(VmcsField.VM_EXIT_CONTROLS, ExitControls.DEFAULT1 | ExitControls.ACKNOWLEDGE_INTERRUPT_ON_EXIT);
            eflags(g, 2);
            g.vcpu.injectInterrupt(0x30);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXTERNAL_INTERRUPT, e.reason);
            assertEquals(1, field(g, VmcsField.EXIT_REASON));
            assertEquals(0x1000, e.rip);
            assertEquals(0, g.vcpu.instructionsRetired());
            assertEquals(0x8000_0030L, field(g, VmcsField.VM_EXIT_INTERRUPTION_INFO), "valid, type 0 (external interrupt), vector 0x30");
            // Acknowledged: nothing is requested any more; the guest runs on to its HLT.
            assertEquals(-1, g.vcpu.acknowledgeInterrupt());
            e = g.run();
            assertEquals(ExitReason.HLT, e.reason);
        }
    }

    @Test
    void withoutAcknowledgeTheInterruptStaysPendingUntilTheVmmTakesIt() {
        try (Guest g = withIdt("fb 90 90 f4", 0x3000)) {
            pin(g, PinBased.EXTERNAL_INTERRUPT_EXITING);
            g.vcpu.injectInterrupt(0x30);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXTERNAL_INTERRUPT, e.reason);
            assertEquals(0, field(g, VmcsField.VM_EXIT_INTERRUPTION_INFO), "no vector without acknowledge on exit");
            e = g.run();
            assertEquals(ExitReason.EXTERNAL_INTERRUPT, e.reason, "still requested");
            assertEquals(0x30, g.vcpu.acknowledgeInterrupt(), "the VMM's own INTA cycle");
            e = g.run();
            assertEquals(ExitReason.HLT, e.reason);
            assertEquals(0, g.reg(X86Registers.EDI), "the guest's handler never ran");
        }
        // Control off: the same interrupt goes through the guest's IDT once STI's shadow has passed.
        try (Guest g = withIdt("fb 90 90 f4", 0x3000)) {
            g.vcpu.injectInterrupt(0x30);
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertEquals(0x30, g.reg(X86Registers.EDI));
        }
    }

    @Test
    void nmiExitingReportsTheNmiAsInterruptionInformation() {
        try (Guest g = withIdt("90 90 f4", 0x3000)) {
            g.memory.write(0x3000, Guest.hex("bb02000000 e680")); // the guest's NMI handler: mov ebx,2; out 0x80
            pin(g, PinBased.NMI_EXITING);
            assertTrue(g.vcpu.injectNmi());
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
            assertEquals(2, e.vector);
            assertEquals(0, field(g, VmcsField.EXIT_REASON));
            assertEquals(InterruptionInfo.encode(2, InterruptionInfo.TYPE_NMI, false) & 0xffffffffL, field(g, VmcsField.VM_EXIT_INTERRUPTION_INFO));
            assertEquals(ExitReason.HLT, g.run().reason, "the NMI was consumed by the exit");
            assertEquals(0, g.reg(X86Registers.EBX));
        }
        try (Guest g = withIdt("90 90 f4", 0x3000)) {
            g.memory.write(0x3000, Guest.hex("bb02000000 e680"));
            g.vcpu.injectNmi();
            assertEquals(ExitReason.IO_INSTRUCTION, g.run().reason, "without NMI exiting the guest's vector-2 handler runs");
            assertEquals(2, g.reg(X86Registers.EBX));
        }
    }

    @Test
    void anNmiBlocksTheNextUntilIret() {
        // NMI handler: inc ebx; hlt; iret. A second NMI raised while the first is in service waits for its IRET.
        try (Guest g = withIdt("90 f4", 0x3000)) {
            g.memory.write(0x3000, Guest.hex("43 f4 cf"));
            g.vcpu.injectNmi();
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason);
            assertEquals(0x3001, e.rip);
            assertEquals(1, g.reg(X86Registers.EBX));
            int frame = g.reg(X86Registers.ESP);
            assertEquals(0x80000 - 12, frame);
            assertEquals(VmxEvents.BLOCKING_BY_NMI, field(g, VmcsField.GUEST_INTERRUPTIBILITY_STATE) & VmxEvents.BLOCKING_BY_NMI);
            g.vcpu.injectNmi();
            X86Registers r = g.regs();
            r.eip = 0x3002; // past the HLT
            g.vcpu.setRegisters(r);
            e = g.run();
            assertEquals(ExitReason.HLT, e.reason);
            assertEquals(2, g.reg(X86Registers.EBX));
            assertEquals(frame, g.reg(X86Registers.ESP), "taken after the IRET, not nested inside the first handler");
        }
    }

    @Test
    void movSsBlocksAnNmiForOneInstruction() {
        // mov ss,ax; nop; nop; hlt -- the timer stops the run right after MOV SS, inside its shadow
        try (Guest g = withIdt("8ed0 90 90 f4", 0x3000)) {
            X86Registers r = g.regs();
            r.gpr[X86Registers.EAX] = 0x10;
            g.vcpu.setRegisters(r);
            pin(g, PinBased.ACTIVATE_PREEMPTION_TIMER);
            g.vcpu.vmcs.write(VmcsField.VMX_PREEMPTION_TIMER_VALUE, 1);
            assertEquals(ExitReason.PREEMPTION_TIMER, g.run().reason);
            assertEquals(VmxEvents.BLOCKING_BY_MOV_SS, field(g, VmcsField.GUEST_INTERRUPTIBILITY_STATE));
            pin(g, PinBased.NMI_EXITING);
            g.vcpu.injectNmi();
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
            assertEquals(0x1003, e.rip, "after the instruction in MOV SS's shadow");
        }
    }

    @Test
    void virtualNmisAndTheNmiWindow() {
        // nop; iret (to 0x1010: hlt). Virtual-NMI blocking is loaded from the interruptibility state; IRET removes it.
        try (Guest g = withIdt("90 cf", 0x3000)) {
            g.memory.write(0x1010, Guest.hex("f4"));
            X86Registers r = g.regs();
            r.gpr[X86Registers.ESP] = 0x7000;
            g.vcpu.setRegisters(r);
            g.memory.write32(0x7000, 0x1010);
            g.memory.write32(0x7004, 0x08);
            g.memory.write32(0x7008, 0x2);
            pin(g, PinBased.NMI_EXITING | PinBased.VIRTUAL_NMIS);
            proc(g, ProcBased.NMI_WINDOW_EXITING);
            g.vcpu.vmcs.store(VmcsField.GUEST_INTERRUPTIBILITY_STATE, VmxEvents.BLOCKING_BY_NMI);
            ExitInfo e = g.run();
            assertEquals(ExitReason.NMI_WINDOW, e.reason);
            assertEquals(8, field(g, VmcsField.EXIT_REASON));
            assertEquals(0x1010, e.rip, "the window opened when IRET ended virtual-NMI blocking");
            assertEquals(0, field(g, VmcsField.GUEST_INTERRUPTIBILITY_STATE));
        }
    }

    @Test
    void anInjectedVirtualNmiSetsVirtualNmiBlocking() {
        try (Guest g = withIdt("f4", 0x3000)) {
            g.memory.write(0x3000, Guest.hex("f4 cf")); // hlt; iret
            pin(g, PinBased.NMI_EXITING | PinBased.VIRTUAL_NMIS);
            long nmi = InterruptionInfo.encode(2, InterruptionInfo.TYPE_NMI, false) & 0xffffffffL;
            g.vcpu.vmcs.write(VmcsField.VM_ENTRY_INTERRUPTION_INFO, nmi);
            ExitInfo e = g.run();
            assertEquals(ExitReason.HLT, e.reason);
            assertEquals(0x3000, e.rip, "in the guest's NMI handler");
            assertEquals(VmxEvents.BLOCKING_BY_NMI, field(g, VmcsField.GUEST_INTERRUPTIBILITY_STATE));
            // Another NMI injected while virtual-NMI blocking holds fails the entry checks (SDM 27.3.1.5).
            g.vcpu.vmcs.write(VmcsField.VM_ENTRY_INTERRUPTION_INFO, nmi);
            assertEquals(ExitReason.INTERNAL_ERROR, g.run().reason);
            assertEquals(VmxEntry.VMXERR_ENTRY_INVALID_CONTROLS, field(g, VmcsField.VM_INSTRUCTION_ERROR));
        }
    }

    @Test
    void entryChecksTheNmiControls() {
        try (Guest g = withIdt("f4", 0x3000)) {
            pin(g, PinBased.VIRTUAL_NMIS);
            assertEquals(ExitReason.INTERNAL_ERROR, g.run().reason, "virtual NMIs need NMI exiting (SDM 27.2.1.1)");
            pin(g, PinBased.NMI_EXITING);
            proc(g, ProcBased.NMI_WINDOW_EXITING);
            ExitInfo e = g.run();
            assertEquals(ExitReason.INTERNAL_ERROR, e.reason, "NMI-window exiting needs virtual NMIs");
            assertTrue(e.message.contains("NMI-window"), e.message);
        }
    }

    @Test
    void theMonitorTrapFlagExitsAfterEachInstruction() {
        // nop; mov eax,5; inc eax; hlt
        try (Guest g = Guest.flat32(0x1000, Guest.hex("90 b805000000 40 f4"))) {
            proc(g, ProcBased.MONITOR_TRAP_FLAG);
            long[] rips = new long[3];
            for (int k = 0; k < 3; k++) {
                ExitInfo e = g.run();
                assertEquals(ExitReason.MONITOR_TRAP_FLAG, e.reason);
                assertEquals(37, field(g, VmcsField.EXIT_REASON));
                assertEquals(k + 1, g.vcpu.instructionsRetired());
                rips[k] = e.rip;
            }
            assertArrayEquals(new long[] {0x1001, 0x1006, 0x1007}, rips);
            assertEquals(6, g.reg(X86Registers.EAX));
        }
    }

    @Test
    void theMonitorTrapFlagExitsAfterAnInjectedEventAndAfterADeliveredFault() {
        try (Guest g = withIdt("f4", 0x3000)) {
            proc(g, ProcBased.MONITOR_TRAP_FLAG);
            VmcsControlsTest.interruptible(g);
            g.vcpu.vmcs.write(VmcsField.VM_ENTRY_INTERRUPTION_INFO, InterruptionInfo.encode(0x30, InterruptionInfo.TYPE_EXTERNAL_INTERRUPT, false) & 0xffffffffL);
            ExitInfo e = g.run();
            assertEquals(ExitReason.MONITOR_TRAP_FLAG, e.reason);
            assertEquals(0x3100, e.rip, "at the handler, before its first instruction");
            assertEquals(0, g.vcpu.instructionsRetired());
        }
        // ud2 with a #UD handler at 0x3000: the MTF exit comes at the handler's first instruction.
        try (Guest g = withIdt("0f0b", 0x3000)) {
            ProtectedModeTest.gate(g, 0x2000, 6, 0x3000, 0x8e);
            proc(g, ProcBased.MONITOR_TRAP_FLAG);
            ExitInfo e = g.run();
            assertEquals(ExitReason.MONITOR_TRAP_FLAG, e.reason);
            assertEquals(0x3000, e.rip);
        }
    }

    @Test
    void thePendingMtfInjectionExitsBeforeAnyInstruction() {
        long pendingMtf = InterruptionInfo.encode(0, InterruptionInfo.TYPE_OTHER_EVENT, false) & 0xffffffffL;
        try (Guest g = Guest.flat32(0x1000, Guest.hex("90 f4"))) {
            proc(g, ProcBased.MONITOR_TRAP_FLAG);
            g.vcpu.vmcs.write(VmcsField.VM_ENTRY_INTERRUPTION_INFO, pendingMtf);
            ExitInfo e = g.run();
            assertEquals(ExitReason.MONITOR_TRAP_FLAG, e.reason);
            assertEquals(0x1000, e.rip);
            assertEquals(0, g.vcpu.instructionsRetired());
        }
        try (Guest g = Guest.flat32(0x1000, Guest.hex("90 f4"))) {
            g.vcpu.vmcs.write(VmcsField.VM_ENTRY_INTERRUPTION_INFO, pendingMtf);
            assertEquals(ExitReason.INTERNAL_ERROR, g.run().reason, "type 7 needs the monitor trap flag (SDM 27.2.1.3)");
        }
    }
}
