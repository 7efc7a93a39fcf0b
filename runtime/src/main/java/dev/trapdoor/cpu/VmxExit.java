package dev.trapdoor.cpu;

import dev.trapdoor.vmx.ExitControls;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.InterruptionInfo;
import dev.trapdoor.vmx.PinBased;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.VmcsField;

/**
 * What VM exit writes into the VMCS (SDM Vol. 3C, 28.2-28.3): the exit-information fields, the
 * IDT-vectoring information, the guest state a script most often looks at (RIP, RSP, RFLAGS, the
 * control registers, activity and interruptibility state) and, with "save VMX-preemption timer
 * value", the timer's remaining count.
 */
final class VmxExit {
    private VmxExit() {}

    /**
     * VM-exit instruction information for INS/OUTS (SDM Vol. 3C, Table 28-8): address size in
     * bits 9:7 (0 16-bit, 1 32-bit), and for OUTS the segment register in bits 17:15 (undefined for
     * INS, stored as 0); the descriptor-table formats for reasons 46 and 47. 0 for the exits that define none.
     */
    static long instructionInfo(Cpu cpu, ExitInfo e) {
        if (e.reason == dev.trapdoor.vmx.ExitReason.GDTR_IDTR_ACCESS || e.reason == dev.trapdoor.vmx.ExitReason.LDTR_TR_ACCESS)
            return cpu.exitInstructionInfo; // SDM Tables 28-10 and 28-11
        Insn i = cpu.pendingIo;
        if (e.reason != dev.trapdoor.vmx.ExitReason.IO_INSTRUCTION || !e.string || i == null) return 0;
        long info = (i.asize == 4 ? 1L : 0L) << 7;
        return e.in ? info : info | (long) (i.seg & 7) << 15;
    }

    static void record(Cpu cpu, Vmcs vmcs, ExitInfo e) {
        vmcs.recordExit(e);
        if (e.reason == dev.trapdoor.vmx.ExitReason.EXCEPTION_NMI && e.instructionLength > 0 && (e.vector == 1 || e.vector == 3 || e.vector == 4)) {
            // INT1, INT3 and INTO exiting through the exception bitmap are software exceptions, not hardware ones (SDM 28.2.2).
            int type = e.vector == 1 ? InterruptionInfo.TYPE_PRIVILEGED_SOFTWARE_EXCEPTION : InterruptionInfo.TYPE_SOFTWARE_EXCEPTION;
            vmcs.store(VmcsField.VM_EXIT_INTERRUPTION_INFO, InterruptionInfo.encode(e.vector, type, false) & 0xffffffffL);
        }
        if (e.reason == dev.trapdoor.vmx.ExitReason.EXTERNAL_INTERRUPT && e.vector >= 0) // acknowledged on exit (SDM 28.2.2)
            vmcs.store(VmcsField.VM_EXIT_INTERRUPTION_INFO, InterruptionInfo.encode(e.vector, InterruptionInfo.TYPE_EXTERNAL_INTERRUPT, false) & 0xffffffffL);
        vmcs.store(VmcsField.VM_EXIT_INSTRUCTION_INFO, instructionInfo(cpu, e));
        if (cpu.vectoringInfo != 0) {
            vmcs.store(VmcsField.IDT_VECTORING_INFO, cpu.vectoringInfo & 0xffffffffL);
            vmcs.store(VmcsField.IDT_VECTORING_ERROR_CODE, InterruptionInfo.errorCodeValid(cpu.vectoringInfo) ? cpu.vectoringError : 0);
        } else {
            vmcs.store(VmcsField.IDT_VECTORING_INFO, 0);
        }
        vmcs.store(VmcsField.GUEST_RIP, cpu.eip & 0xffffffffL);
        vmcs.store(VmcsField.GUEST_RSP, cpu.gpr[CpuState.ESP] & 0xffffffffL);
        vmcs.store(VmcsField.GUEST_RFLAGS, cpu.getEflags() & 0xffffffffL);
        vmcs.store(VmcsField.GUEST_CR0, cpu.cr0 & 0xffffffffL);
        vmcs.store(VmcsField.GUEST_CR3, cpu.cr3 & 0xffffffffL);
        vmcs.store(VmcsField.GUEST_CR4, cpu.cr4 & 0xffffffffL);
        vmcs.store(VmcsField.GUEST_ACTIVITY_STATE, cpu.halted ? 1 : 0); // 0 active, 1 HLT (SDM 25.4.2)
        vmcs.store(VmcsField.GUEST_INTERRUPTIBILITY_STATE, VmxEvents.interruptibility(cpu));
        if ((vmcs.pinBased() & PinBased.ACTIVATE_PREEMPTION_TIMER) != 0
                && (vmcs.read(VmcsField.VM_EXIT_CONTROLS) & ExitControls.SAVE_PREEMPTION_TIMER) != 0) {
            vmcs.store(VmcsField.VMX_PREEMPTION_TIMER_VALUE, Math.max(0, cpu.timerDeadline() - cpu.retired));
        }
    }
}
