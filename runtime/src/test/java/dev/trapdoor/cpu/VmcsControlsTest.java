package dev.trapdoor.cpu;

import dev.trapdoor.arch.X86Registers;
import dev.trapdoor.backend.MsrAccess;
import dev.trapdoor.backend.PortIo;
import dev.trapdoor.vmx.ExitControls;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitQualifications;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.InterruptionInfo;
import dev.trapdoor.vmx.PinBased;
import dev.trapdoor.vmx.ProcBased;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.VmcsField;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** The VM-execution controls of the interpreter's VMCS change exits as SDM Vol. 3C, chapter 26 says. */
class VmcsControlsTest {
    private static final VmcsField PROC = VmcsField.PROC_BASED_CONTROLS;

    /** Records port accesses that did not exit; IN answers 0x40 + the port's low byte. */
    static final class Ports implements PortIo {
        final List<String> log = new ArrayList<>();

        @Override
        public int in(int port, int size) {
            log.add(String.format("in %x/%d", port, size));
            return 0x40 + (port & 0xff);
        }

        @Override
        public void out(int port, int size, int value) {
            log.add(String.format("out %x/%d=%x", port, size, value));
        }
    }

    private static void set(Guest g, VmcsField f, long v) {
        g.vcpu.vmcs.write(f, v);
    }

    private static void proc(Guest g, int on, int off) {
        Vmcs v = g.vcpu.vmcs;
        v.write(PROC, (v.read(PROC) | on) & ~(long) off);
    }

    @Test
    void defaultsAreTheOldBehaviour() {
        Vmcs v = InterpreterVcpu.defaultVmcs();
        assertNotEquals(0, v.procBased() & ProcBased.HLT_EXITING);
        assertNotEquals(0, v.procBased() & ProcBased.UNCONDITIONAL_IO_EXITING);
        assertEquals(0, v.procBased() & (ProcBased.USE_IO_BITMAPS | ProcBased.USE_MSR_BITMAPS | ProcBased.RDTSC_EXITING
                | ProcBased.CR3_LOAD_EXITING | ProcBased.CR3_STORE_EXITING | ProcBased.INVLPG_EXITING | ProcBased.MOV_DR_EXITING));
        assertEquals(PinBased.DEFAULT1, v.pinBased());
        assertEquals(0, v.read(VmcsField.EXCEPTION_BITMAP));
        // With a port bus connected, unconditional I/O exiting still sends every access out as an exit.
        try (Guest g = Guest.flat32(0x1000, Guest.hex("e680 f4"))) {
            Ports ports = new Ports();
            g.vcpu.setPortIo(ports);
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertTrue(ports.log.isEmpty());
            assertEquals(30, g.vcpu.vmcs.read(VmcsField.EXIT_REASON));
        }
    }

    @Test
    void ioBitmapExitsOnlyForTheMarkedPort() {
        // out 0x70,al; in al,0x71; mov esi,0x4000; mov ecx,3; mov dx,0x3f8; rep outsb; out 0x80,al; hlt
        try (Guest g = Guest.flat32(0x1000, Guest.hex("e670 e471 be00400000 b903000000 66baf803 f36e e680 f4"))) {
            g.memory.write(0x4000, "abc".getBytes());
            Ports ports = new Ports();
            g.vcpu.setPortIo(ports);
            proc(g, ProcBased.USE_IO_BITMAPS, ProcBased.UNCONDITIONAL_IO_EXITING);
            g.vcpu.vmcs.ioBitmaps().set(0x80, true);
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertEquals(0x80, e.port);
            assertEquals(0x1000 + 20, e.rip);
            assertEquals(List.of("out 70/1=0", "in 71/1", "out 3f8/1=61", "out 3f8/1=62", "out 3f8/1=63"), ports.log);
            assertEquals(0xb1, g.reg(X86Registers.EAX) & 0xff, "IN completed in the CPU");
            assertEquals(0, g.reg(X86Registers.ECX), "REP OUTSB ran to the end without an exit");
            assertEquals(0x4003, g.reg(X86Registers.ESI));
            e = g.run();
            assertEquals(ExitReason.HLT, e.reason, "the OUT to 0x80 completed on re-entry");
        }
    }

    @Test
    void stringIoExitsCarryTheInstructionInformation() {
        // mov esi,0x4000; mov dx,0x3f8; fs outsb   then   mov edi,0x4000; a16 insb
        try (Guest g = Guest.flat32(0x1000, Guest.hex("be00400000 66baf803 646e bf00400000 676c f4"))) {
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason);
            assertTrue(e.string);
            assertEquals(1 << 7 | 4 << 15, g.vcpu.vmcs.read(VmcsField.VM_EXIT_INSTRUCTION_INFO), "32-bit address size, FS");
            g.run();
            e = g.exit;
            assertTrue(e.in && e.string, e.reason.toString());
            assertEquals(0, g.vcpu.vmcs.read(VmcsField.VM_EXIT_INSTRUCTION_INFO), "16-bit address size, no segment for INS");
        }
    }

    /** Paging with page 5 (0x5000) not present; #PF goes to a guest handler that does OUT 0x99. */
    private static Guest pagingGuest(String code) {
        return pagingGuest(code, -1);
    }

    private static Guest pagingGuest(String code, int alsoAbsent) {
        Guest g = Guest.flat32(0x1000, Guest.hex(code));
        for (int p = 0; p < 1024; p++) g.memory.write32(0x21000 + p * 4, p == 5 || p == alsoAbsent ? 0 : (p << 12) | 3);
        g.memory.write32(0x20000, 0x21000 | 3);
        ProtectedModeTest.setupGdt(g);
        g.memory.write(0x3000, Guest.hex("e699"));
        ProtectedModeTest.gate(g, 0x2000, 14, 0x3000, 0x8e);
        ProtectedModeTest.setupIdt(g, 0x2000, 0x7ff);
        X86Registers r = g.regs();
        r.cr3 = 0x20000;
        r.cr0 |= 0x80000000L;
        g.vcpu.setRegisters(r);
        return g;
    }

    @Test
    void pageFaultMaskAndMatchSelectWhichFaultsExit() {
        // Bit 14 set, mask = W (bit 1), match = W: only write faults exit (SDM 26.2).
        try (Guest g = pagingGuest("a100500000 f4")) { // read: mov eax,[0x5000]
            set(g, VmcsField.EXCEPTION_BITMAP, 1 << 14);
            set(g, VmcsField.PAGE_FAULT_ERROR_CODE_MASK, 2);
            set(g, VmcsField.PAGE_FAULT_ERROR_CODE_MATCH, 2);
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason, "a read fault does not match: the guest handler ran");
            assertEquals(0x99, e.port);
        }
        try (Guest g = pagingGuest("a300500000 f4")) { // write: mov [0x5000],eax
            set(g, VmcsField.EXCEPTION_BITMAP, 1 << 14);
            set(g, VmcsField.PAGE_FAULT_ERROR_CODE_MASK, 2);
            set(g, VmcsField.PAGE_FAULT_ERROR_CODE_MATCH, 2);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
            assertEquals(14, e.vector);
            assertEquals(2, e.errorCode);
            Vmcs v = g.vcpu.vmcs;
            assertEquals(0x5000, v.read(VmcsField.EXIT_QUALIFICATION));
            assertEquals(InterruptionInfo.encode(14, InterruptionInfo.TYPE_HARDWARE_EXCEPTION, true) & 0xffffffffL, v.read(VmcsField.VM_EXIT_INTERRUPTION_INFO));
            assertEquals(2, v.read(VmcsField.VM_EXIT_INTERRUPTION_ERROR_CODE));
        }
    }

    @Test
    void cr0ReadShadowAndHostOwnedWrites() {
        // mov eax,cr0; mov ebx,eax; and al,0xf7; mov cr0,eax (clears TS: host-owned, shadow has it set)
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f20c0 89c3 24f7 0f22c0 f4"))) {
            set(g, VmcsField.CR0_GUEST_HOST_MASK, 8);
            set(g, VmcsField.CR0_READ_SHADOW, 8);
            ExitInfo e = g.run();
            assertEquals(ExitReason.CR_ACCESS, e.reason);
            assertEquals(0x1007, e.rip);
            assertEquals(3, e.instructionLength);
            assertEquals(ExitQualifications.crMov(0, true, 0), e.qualification);
            assertEquals(0x19, g.reg(X86Registers.EBX), "MOV from CR0 showed TS from the shadow over PE|ET");
            assertEquals(0, g.regs().cr0 & 8, "the real CR0.TS is clear");
            assertEquals(28, g.vcpu.vmcs.read(VmcsField.EXIT_REASON));
            assertEquals(0, g.vcpu.vmcs.read(VmcsField.EXIT_QUALIFICATION));
        }
        // A write that keeps the host-owned bit equal to the shadow does not exit; CLTS would clear it: exits.
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f20c0 0c08 0f22c0 0f06 f4"))) {
            set(g, VmcsField.CR0_GUEST_HOST_MASK, 8);
            set(g, VmcsField.CR0_READ_SHADOW, 8);
            ExitInfo e = g.run();
            assertEquals(ExitReason.CR_ACCESS, e.reason);
            assertEquals(ExitQualifications.clts(), e.qualification);
            assertEquals(0x1008, e.rip);
        }
    }

    @Test
    void cr3LoadExitingHonoursTheTargetList() {
        // mov ebx,0x20000; mov cr3,ebx; mov ebx,0x30000; mov cr3,ebx
        try (Guest g = Guest.flat32(0x1000, Guest.hex("bb00000200 0f22db bb00000300 0f22db f4"))) {
            proc(g, ProcBased.CR3_LOAD_EXITING, 0);
            set(g, VmcsField.CR3_TARGET_COUNT, 1);
            set(g, VmcsField.CR3_TARGET_VALUE0, 0x20000);
            ExitInfo e = g.run();
            assertEquals(ExitReason.CR_ACCESS, e.reason);
            assertEquals(0x100d, e.rip, "the load of a target value did not exit");
            assertEquals(0x303, e.qualification, "CR3, MOV to CR, register EBX (SDM Table 28-3)");
            assertEquals(0x20000, g.regs().cr3);
        }
        // CR3-store exiting: mov ecx,cr3
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f20d9 f4"))) {
            proc(g, ProcBased.CR3_STORE_EXITING, 0);
            ExitInfo e = g.run();
            assertEquals(ExitReason.CR_ACCESS, e.reason);
            assertEquals(ExitQualifications.crMov(3, false, 1), e.qualification);
        }
    }

    @Test
    void invlpgRdtscPauseMovDrAndVmcallExit() {
        // invlpg [0x5000]; rdtsc; nop; pause; mov dr7,eax; vmcall
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f013d00500000 0f31 90 f390 0f23f8 0f01c1 f4"))) {
            proc(g, ProcBased.INVLPG_EXITING | ProcBased.RDTSC_EXITING | ProcBased.PAUSE_EXITING | ProcBased.MOV_DR_EXITING, 0);
            ExitInfo e = g.run();
            assertEquals(ExitReason.INVLPG, e.reason);
            assertEquals(0x5000, e.qualification, "the linear address");
            assertEquals(7, e.instructionLength);
            skip(g, e);
            e = g.run();
            assertEquals(ExitReason.RDTSC, e.reason);
            skip(g, e);
            e = g.run();
            assertEquals(ExitReason.PAUSE, e.reason, "NOP did not exit, PAUSE did");
            assertEquals(0x100a, e.rip);
            assertEquals(2, e.instructionLength);
            skip(g, e);
            e = g.run();
            assertEquals(ExitReason.DR_ACCESS, e.reason);
            assertEquals(ExitQualifications.movDr(7, true, 0), e.qualification);
            skip(g, e);
            e = g.run();
            assertEquals(ExitReason.VMCALL, e.reason);
            assertEquals(3, e.instructionLength);
            assertEquals(18, g.vcpu.vmcs.read(VmcsField.EXIT_REASON));
            assertEquals(3, g.vcpu.vmcs.read(VmcsField.VM_EXIT_INSTRUCTION_LENGTH));
        }
    }

    @Test
    void vmlaunchIsUndefinedAndTscOffsettingAdds() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f01c2"))) {
            set(g, VmcsField.EXCEPTION_BITMAP, 1 << 6);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
            assertEquals(6, e.vector);
        }
        try (Guest g = Guest.flat32(0x1000, Guest.hex("0f31 f4"))) {
            proc(g, ProcBased.USE_TSC_OFFSETTING, 0);
            set(g, VmcsField.TSC_OFFSET, 1_000_000);
            g.vcpu.setTscOffset(500);
            g.run();
            assertEquals(1_000_500, g.reg(X86Registers.EAX), "retired (0) + the runtime's offset + the VMCS TSC offset");
        }
    }

    private static void skip(Guest g, ExitInfo e) {
        X86Registers r = g.regs();
        r.eip = (int) e.rip + e.instructionLength;
        g.vcpu.setRegisters(r);
    }

    @Test
    void msrBitmapLetsClearMsrsThroughToTheMsrSet() {
        // mov ecx,0x1a0; rdmsr; mov ebx,eax; mov ecx,0x1b; rdmsr
        try (Guest g = Guest.flat32(0x1000, Guest.hex("b9a0010000 0f32 89c3 b91b000000 0f32 f4"))) {
            List<Integer> asked = new ArrayList<>();
            g.vcpu.setMsrAccess(new MsrAccess() {
                @Override
                public boolean read(int msr, long[] value) {
                    asked.add(msr);
                    value[0] = 0x1234_0000_0089L;
                    return msr == 0x1a0;
                }

                @Override
                public boolean write(int msr, long value) {
                    return false;
                }
            });
            proc(g, ProcBased.USE_MSR_BITMAPS, 0);
            g.vcpu.vmcs.msrBitmap().set(0x1b, false, true);
            ExitInfo e = g.run();
            assertEquals(ExitReason.RDMSR, e.reason);
            assertEquals(0x100e, e.rip);
            assertEquals(List.of(0x1a0), asked);
            assertEquals(0x89, g.reg(X86Registers.EBX));
            assertEquals(0x1234, g.reg(X86Registers.EDX));
        }
    }

    @Test
    void interruptWindowExitsOnceIfIsSetAndTheShadowHasPassed() {
        // cli; nop; sti; nop; nop; hlt
        try (Guest g = Guest.flat32(0x1000, Guest.hex("fa 90 fb 90 90 f4"))) {
            proc(g, ProcBased.INTERRUPT_WINDOW_EXITING, 0);
            X86Registers r = g.regs();
            r.eflags = 2;
            g.vcpu.setRegisters(r);
            ExitInfo e = g.run();
            assertEquals(ExitReason.INTERRUPT_WINDOW, e.reason);
            assertEquals(0x1004, e.rip, "after the instruction in STI's shadow");
            assertEquals(0, e.instructionLength);
        }
    }

    @Test
    void preemptionTimerCountsInstructions() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex("90 90 90 ebfe"))) {
            set(g, VmcsField.PIN_BASED_CONTROLS, PinBased.DEFAULT1 | PinBased.ACTIVATE_PREEMPTION_TIMER);
            set(g, VmcsField.VM_EXIT_CONTROLS, ExitControls.SAVE_PREEMPTION_TIMER);
            set(g, VmcsField.VMX_PREEMPTION_TIMER_VALUE, 10);
            ExitInfo e = g.run();
            assertEquals(ExitReason.PREEMPTION_TIMER, e.reason);
            assertEquals(10, g.vcpu.instructionsRetired());
            assertEquals(52, g.vcpu.vmcs.read(VmcsField.EXIT_REASON));
            assertEquals(0, g.vcpu.vmcs.read(VmcsField.VMX_PREEMPTION_TIMER_VALUE), "saved at 0");
            // Without "save", each entry reloads the field: another 10.
            set(g, VmcsField.VM_EXIT_CONTROLS, 0);
            set(g, VmcsField.VMX_PREEMPTION_TIMER_VALUE, 10);
            g.run();
            assertEquals(20, g.vcpu.instructionsRetired());
            assertEquals(10, g.vcpu.vmcs.read(VmcsField.VMX_PREEMPTION_TIMER_VALUE));
        }
    }

    @Test
    void hltWithoutExitingLeavesThroughTheTimerWhileHalted() {
        try (Guest g = Guest.flat32(0x1000, Guest.hex("f4 e680"))) {
            proc(g, 0, ProcBased.HLT_EXITING);
            g.vcpu.setInstructionLimit(1000);
            ExitInfo e = g.run();
            assertEquals(ExitReason.PREEMPTION_TIMER, e.reason);
            assertEquals(Cpu.HALTED, e.message);
            assertEquals(1, g.vcpu.vmcs.read(VmcsField.GUEST_ACTIVITY_STATE), "HLT activity state");
            assertEquals(1, g.vcpu.instructionsRetired(), "halted time does not count as instructions");
        }
    }

    /** IDT at 0x2000; handlers: vector 13 pops the error code into EAX, 0x20 loads 0x77; both OUT 0x80. */
    private static Guest injectionGuest() {
        Guest g = Guest.flat32(0x1000, Guest.hex("f4"));
        ProtectedModeTest.setupGdt(g);
        g.memory.write(0x3000, Guest.hex("58 e680"));
        g.memory.write(0x3100, Guest.hex("b877000000 e680"));
        ProtectedModeTest.gate(g, 0x2000, 13, 0x3000, 0x8e);
        ProtectedModeTest.gate(g, 0x2000, 0x20, 0x3100, 0x8e);
        ProtectedModeTest.setupIdt(g, 0x2000, 0x7ff);
        return g;
    }

    static void interruptible(Guest g) {
        X86Registers r = g.regs();
        r.eflags |= 0x200;
        g.vcpu.setRegisters(r);
    }

    @Test
    void entryInjectsAHardwareExceptionWithItsErrorCode() {
        try (Guest g = injectionGuest()) {
            set(g, VmcsField.VM_ENTRY_INTERRUPTION_INFO, InterruptionInfo.encode(13, InterruptionInfo.TYPE_HARDWARE_EXCEPTION, true) & 0xffffffffL);
            set(g, VmcsField.VM_ENTRY_EXCEPTION_ERROR_CODE, 0x1234);
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason, e.message);
            assertEquals(0x1234, g.reg(X86Registers.EAX), "the handler popped the injected error code");
            X86Registers r = g.regs();
            assertEquals(0x1000, g.memory.read32(r.gpr[X86Registers.ESP]), "return EIP: the instruction at entry");
            assertFalse(InterruptionInfo.valid(g.vcpu.vmcs.read(VmcsField.VM_ENTRY_INTERRUPTION_INFO)), "exit clears the valid bit");
        }
    }

    @Test
    void entryInjectsAnExternalInterruptAndASoftwareInterruptPastItsInstruction() {
        try (Guest g = injectionGuest()) {
            interruptible(g); // SDM 27.3.1.4: injecting an external interrupt needs RFLAGS.IF = 1
            set(g, VmcsField.VM_ENTRY_INTERRUPTION_INFO, InterruptionInfo.encode(0x20, InterruptionInfo.TYPE_EXTERNAL_INTERRUPT, false) & 0xffffffffL);
            ExitInfo e = g.run();
            assertEquals(ExitReason.IO_INSTRUCTION, e.reason, e.message);
            assertEquals(0x77, g.reg(X86Registers.EAX));
            assertEquals(0x1000, g.memory.read32(g.regs().gpr[X86Registers.ESP]));
        }
        try (Guest g = injectionGuest()) {
            // INT 0x20 (gate DPL 0, CPL 0): the return address is past the 2-byte instruction.
            set(g, VmcsField.VM_ENTRY_INTERRUPTION_INFO, InterruptionInfo.encode(0x20, InterruptionInfo.TYPE_SOFTWARE_INTERRUPT, false) & 0xffffffffL);
            set(g, VmcsField.VM_ENTRY_INSTRUCTION_LENGTH, 2);
            g.run();
            assertEquals(0x1002, g.memory.read32(g.regs().gpr[X86Registers.ESP]));
        }
    }

    @Test
    void invalidInjectionFailsTheEntry() {
        try (Guest g = injectionGuest()) {
            // #GP in protected mode must deliver an error code (SDM 27.2.1.3).
            set(g, VmcsField.VM_ENTRY_INTERRUPTION_INFO, InterruptionInfo.encode(13, InterruptionInfo.TYPE_HARDWARE_EXCEPTION, false) & 0xffffffffL);
            ExitInfo e = g.run();
            assertEquals(ExitReason.INTERNAL_ERROR, e.reason);
            assertEquals(VmxEntry.VMXERR_ENTRY_INVALID_CONTROLS, g.vcpu.vmcs.read(VmcsField.VM_INSTRUCTION_ERROR));
            assertEquals(0, g.vcpu.instructionsRetired());
        }
    }

    @Test
    void aSoftwareInterruptWhoseDeliveryExitsIsVectoringInformationWithItsLength() {
        try (Guest g = injectionGuest()) {
            g.memory.write(0x1000, Guest.hex("cd21")); // int 0x21: no gate, #GP(0x21*8+2)
            set(g, VmcsField.EXCEPTION_BITMAP, 1 << 13);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
            assertEquals(13, e.vector);
            assertEquals(0x21 * 8 + 2, e.errorCode);
            assertEquals(0x1000, e.rip);
            assertEquals(2, e.instructionLength);
            assertEquals(InterruptionInfo.encode(0x21, InterruptionInfo.TYPE_SOFTWARE_INTERRUPT, false) & 0xffffffffL,
                    g.vcpu.vmcs.read(VmcsField.IDT_VECTORING_INFO));
        }
        try (Guest g = Guest.flat32(0x1000, Guest.hex("cc"))) {
            set(g, VmcsField.EXCEPTION_BITMAP, 1 << 3);
            g.run();
            assertEquals(InterruptionInfo.encode(3, InterruptionInfo.TYPE_SOFTWARE_EXCEPTION, false) & 0xffffffffL,
                    g.vcpu.vmcs.read(VmcsField.VM_EXIT_INTERRUPTION_INFO), "INT3 is a software exception");
            assertEquals(0, g.vcpu.vmcs.read(VmcsField.IDT_VECTORING_INFO));
        }
    }

    @Test
    void anExitDuringDeliveryReportsIdtVectoringInformation() {
        try (Guest g = injectionGuest()) {
            // Vector 0x21 has no gate: delivering it raises #GP(0x21*8+2+EXT), which the bitmap turns into an exit.
            set(g, VmcsField.EXCEPTION_BITMAP, 1 << 13);
            interruptible(g);
            set(g, VmcsField.VM_ENTRY_INTERRUPTION_INFO, InterruptionInfo.encode(0x21, InterruptionInfo.TYPE_EXTERNAL_INTERRUPT, false) & 0xffffffffL);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason);
            assertEquals(13, e.vector);
            assertEquals(0x21 * 8 + 3, e.errorCode);
            long idt = g.vcpu.vmcs.read(VmcsField.IDT_VECTORING_INFO);
            assertTrue(InterruptionInfo.valid(idt));
            assertEquals(0x21, InterruptionInfo.vector(idt));
            assertEquals(InterruptionInfo.TYPE_EXTERNAL_INTERRUPT, InterruptionInfo.type(idt));
        }
        try (Guest g = pagingGuest("a100500000 f4", 2)) {
            // The IDT's page is absent too: delivering the #PF faults again, a double fault (SDM Vol. 3A, Table 6-5),
            // and only #DF exits; the #PF being delivered is the IDT-vectoring information.
            set(g, VmcsField.EXCEPTION_BITMAP, 1 << 8);
            ExitInfo e = g.run();
            assertEquals(ExitReason.EXCEPTION_NMI, e.reason, e.message);
            assertEquals(8, e.vector);
            long idt = g.vcpu.vmcs.read(VmcsField.IDT_VECTORING_INFO);
            assertEquals(InterruptionInfo.encode(14, InterruptionInfo.TYPE_HARDWARE_EXCEPTION, true) & 0xffffffffL, idt);
            assertEquals(0, g.vcpu.vmcs.read(VmcsField.IDT_VECTORING_ERROR_CODE));
        }
    }
}
