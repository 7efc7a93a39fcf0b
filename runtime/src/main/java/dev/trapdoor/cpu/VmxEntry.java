package dev.trapdoor.cpu;

import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.InterruptionInfo;
import dev.trapdoor.vmx.ProcBased;
import dev.trapdoor.vmx.ProcBased2;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.VmcsField;

/**
 * VM-entry event injection (SDM Vol. 3C, 27.6): the event in the VM-entry interruption-information
 * field is delivered through the guest's IDT as if it had happened just after entry, before any
 * guest instruction. Injected events are not checked against the exception bitmap; a fault while
 * delivering one is handled as a fault of the first guest instruction (which may exit, then with
 * the injected event as IDT-vectoring information).
 */
final class VmxEntry {
    private VmxEntry() {}

    /** VM-instruction error 7: VM entry with invalid control fields (SDM 31.4). */
    static final int VMXERR_ENTRY_INVALID_CONTROLS = 7;

    /**
     * Injects the event described by info (valid bit set). False if the field fails the checks of
     * SDM 27.2.1.3: the entry then fails (VM-instruction error 7) and cpu's exit says so.
     */
    static boolean inject(Cpu cpu, Vmcs vmcs, long info) {
        int vector = InterruptionInfo.vector(info);
        int type = InterruptionInfo.type(info);
        boolean hasError = InterruptionInfo.errorCodeValid(info);
        boolean mtf = (cpu.procCtl & ProcBased.MONITOR_TRAP_FLAG) != 0;
        String bad = check(vector, type, hasError, info, cpu.protectedMode(), mtf);
        if (bad == null) bad = checkBlocking(type, cpu);
        if (bad != null) {
            failEntry(cpu, vmcs, bad);
            return false;
        }
        if (type == InterruptionInfo.TYPE_OTHER_EVENT) return true; // pending MTF VM exit: nothing to deliver (27.6.2)
        int error = hasError ? (int) vmcs.read(VmcsField.VM_ENTRY_EXCEPTION_ERROR_CODE) : -1;
        int length = (int) vmcs.read(VmcsField.VM_ENTRY_INSTRUCTION_LENGTH);
        cpu.halted = false; // an injected event ends HLT (activity state becomes active, SDM 27.6.1)
        cpu.insStart = cpu.eip;
        cpu.delivering = InterruptionInfo.encode(vector, type, hasError);
        cpu.deliveringError = Math.max(error, 0);
        cpu.deliveringLength = length;
        try {
            switch (type) {
                case InterruptionInfo.TYPE_EXTERNAL_INTERRUPT -> cpu.deliver(vector, -1, cpu.eip, false, true);
                case InterruptionInfo.TYPE_NMI -> {
                    // An injected NMI blocks NMIs, or with "virtual NMIs" sets virtual-NMI blocking (27.6.1.2): the same bit here.
                    cpu.nmiBlocked = true;
                    cpu.deliver(vector, -1, cpu.eip, false, false);
                }
                case InterruptionInfo.TYPE_HARDWARE_EXCEPTION -> cpu.deliver(vector, error, cpu.eip, false, false);
                // Software interrupts and exceptions return past the instruction (the entry's instruction length);
                // INT n and INT3/INTO check the gate's DPL, INT1 (privileged software exception) does not (SDM 27.6.1.1).
                case InterruptionInfo.TYPE_SOFTWARE_INTERRUPT, InterruptionInfo.TYPE_SOFTWARE_EXCEPTION ->
                        cpu.deliver(vector, error, cpu.eip + length, true, false);
                default -> cpu.deliver(vector, error, cpu.eip + length, false, false);
            }
        } catch (CpuFault f) {
            cpu.eip = cpu.insStart;
            cpu.deliverException(cpu.faultVector, cpu.faultError);
        } finally {
            cpu.delivering = 0;
        }
        return true;
    }

    /** A VM entry that fails its checks (VM-instruction error 7): the run ends with INTERNAL_ERROR saying why. */
    static void failEntry(Cpu cpu, Vmcs vmcs, String why) {
        vmcs.store(VmcsField.VM_INSTRUCTION_ERROR, VMXERR_ENTRY_INVALID_CONTROLS);
        cpu.exit.reset(ExitReason.INTERNAL_ERROR);
        cpu.exit.rip = cpu.eip & 0xffffffffL;
        cpu.exit.message = "VM entry with invalid control fields (VM-instruction error 7): " + why;
        cpu.exitPending = true;
    }

    /**
     * The guest CR0 check of SDM 26.3.1.1: CR0 must hold the bits IA32_VMX_CR0_FIXED0 fixes to 1,
     * PE and PG, except that with "unrestricted guest" PE and PG may be 0 (a real-mode or unpaged
     * guest). NE, also fixed to 1 on hardware, is not checked: here CR0 is the guest's own, which
     * a VMM on hardware keeps NE=1 under through the CR0 guest/host mask. Null if it passes.
     */
    static String guestCr0Problem(int cr0, int procBased2) {
        if ((procBased2 & ProcBased2.UNRESTRICTED_GUEST) != 0) return null;
        if ((cr0 & CpuState.CR0_PE) == 0) return "guest CR0.PE = 0 without unrestricted guest (SDM 26.3.1.1, IA32_VMX_CR0_FIXED0)";
        if ((cr0 & CpuState.CR0_PG) == 0) return "guest CR0.PG = 0 without unrestricted guest (SDM 26.3.1.1, IA32_VMX_CR0_FIXED0)";
        return null;
    }

    /**
     * A VM entry that fails its guest-state checks (SDM Vol. 3C, "VM-Entry Failures During or After Loading Guest State"): a VM exit with basic reason 33 and
     * the VM-entry-failure bit (31) of the exit reason set, exit qualification 0, the guest state
     * unchanged; the run ends there with a message naming the check.
     */
    static void failGuestState(Cpu cpu, String why) {
        cpu.exit.reset(ExitReason.ENTRY_FAILURE_GUEST_STATE);
        cpu.exit.rip = cpu.eip & 0xffffffffL;
        cpu.exit.message = "VM entry failed the guest-state checks: " + why;
        cpu.exitPending = true;
    }

    /**
     * The guest-state checks of SDM 27.3.1.5 that tie the injected event to the interruptibility
     * state: an external interrupt needs RFLAGS.IF = 1 and no blocking by STI or MOV SS; an NMI no
     * blocking by MOV SS and, with "virtual NMIs", no virtual-NMI blocking.
     */
    static String checkBlocking(int type, Cpu cpu) {
        boolean shadow = cpu.interruptShadowUntil >= cpu.retired;
        if (type == InterruptionInfo.TYPE_EXTERNAL_INTERRUPT) {
            if (!cpu.interruptsEnabled()) return "an external interrupt injected with RFLAGS.IF = 0";
            if (shadow) return "an external interrupt injected under blocking by STI or MOV SS";
        }
        if (type == InterruptionInfo.TYPE_NMI) {
            if (shadow && cpu.movSsShadow) return "an NMI injected under blocking by MOV SS";
            if (cpu.nmiBlocked && (cpu.pinCtl & dev.trapdoor.vmx.PinBased.VIRTUAL_NMIS) != 0) return "an NMI injected under virtual-NMI blocking";
        }
        return null;
    }

    /** The checks of SDM 27.2.1.3 on the VM-entry interruption-information field; null if it passes. */
    static String check(int vector, int type, boolean hasError, long info, boolean protectedMode) {
        return check(vector, type, hasError, info, protectedMode, false);
    }

    static String check(int vector, int type, boolean hasError, long info, boolean protectedMode, boolean monitorTrapFlag) {
        if (!InterruptionInfo.entryReservedBitsClear(info)) return "reserved bits 30:12 set";
        if (type == 1) return "type 1 is reserved";
        // Type 7 vector 0 is the "pending MTF VM exit" and needs the monitor trap flag; other vectors are reserved.
        if (type == InterruptionInfo.TYPE_OTHER_EVENT && (!monitorTrapFlag || vector != 0))
            return "type 7 (other event) is only vector 0 with the monitor trap flag";
        if (type == InterruptionInfo.TYPE_NMI && vector != 2) return "an NMI has vector 2";
        if (type == InterruptionInfo.TYPE_HARDWARE_EXCEPTION && vector > 31) return "a hardware exception has a vector 0-31";
        boolean wantsError = type == InterruptionInfo.TYPE_HARDWARE_EXCEPTION && protectedMode && InterruptionInfo.exceptionHasErrorCode(vector);
        if (hasError != wantsError) return "deliver-error-code must be set exactly for hardware exceptions with error codes in protected mode";
        return null;
    }
}
