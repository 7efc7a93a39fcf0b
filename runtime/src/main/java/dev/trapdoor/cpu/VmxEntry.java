package dev.trapdoor.cpu;

import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.InterruptionInfo;
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
        String bad = check(vector, type, hasError, info, cpu.protectedMode());
        if (bad != null) {
            vmcs.store(VmcsField.VM_INSTRUCTION_ERROR, VMXERR_ENTRY_INVALID_CONTROLS);
            cpu.exit.reset(ExitReason.INTERNAL_ERROR);
            cpu.exit.rip = cpu.eip & 0xffffffffL;
            cpu.exit.message = "VM entry with invalid control fields (VM-instruction error 7): " + bad;
            cpu.exitPending = true;
            return false;
        }
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
                case InterruptionInfo.TYPE_NMI, InterruptionInfo.TYPE_HARDWARE_EXCEPTION -> cpu.deliver(vector, error, cpu.eip, false, false);
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

    /** The checks of SDM 27.2.1.3 on the VM-entry interruption-information field; null if it passes. */
    static String check(int vector, int type, boolean hasError, long info, boolean protectedMode) {
        if (!InterruptionInfo.entryReservedBitsClear(info)) return "reserved bits 30:12 set";
        if (type == 1) return "type 1 is reserved";
        if (type == InterruptionInfo.TYPE_OTHER_EVENT) return "type 7 (other event) needs the monitor trap flag";
        if (type == InterruptionInfo.TYPE_NMI && vector != 2) return "an NMI has vector 2";
        if (type == InterruptionInfo.TYPE_HARDWARE_EXCEPTION && vector > 31) return "a hardware exception has a vector 0-31";
        boolean wantsError = type == InterruptionInfo.TYPE_HARDWARE_EXCEPTION && protectedMode && InterruptionInfo.exceptionHasErrorCode(vector);
        if (hasError != wantsError) return "deliver-error-code must be set exactly for hardware exceptions with error codes in protected mode";
        return null;
    }
}
