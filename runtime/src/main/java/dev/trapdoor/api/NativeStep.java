package dev.trapdoor.api;

import dev.trapdoor.vmx.ProcBased;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.VmcsField;

/**
 * Lets the guest execute one exiting instruction itself: the exit's control goes off and the
 * monitor trap flag on, and the MTF exit after the instruction (or after the fault it raised was
 * delivered, SDM Vol. 3C 26.5.2) puts both back. What a VMM does for instructions it would rather
 * not emulate (here LGDT/LIDT/SGDT/SIDT/LLDT/LTR/SLDT/STR under descriptor-table exiting).
 *
 * @param field   the control field whose bit went off
 * @param bit     that bit
 * @param mtfWasOn whether the monitor trap flag was already on (a script stepping by MTF), so it stays on
 */
record NativeStep(VmcsField field, int bit, boolean mtfWasOn) {
    /** Starts a native step of the instruction at the exit's RIP; the instruction is not skipped. */
    static void begin(Vcpu vcpu, VmcsField field, int bit) {
        Vmcs v = vcpu.getVmcs();
        if (v == null || vcpu.nativeStep != null) return;
        boolean mtf = (v.procBased() & ProcBased.MONITOR_TRAP_FLAG) != 0;
        v.write(field, v.read(field) & ~(bit & 0xffffffffL));
        if (!mtf) v.enable(VmcsField.PROC_BASED_CONTROLS, "MONITOR_TRAP_FLAG");
        vcpu.nativeStep = new NativeStep(field, bit, mtf);
    }

    /** At an MTF exit: restores what {@link #begin} changed. True if this MTF exit was the native step's own. */
    static boolean finish(Vcpu vcpu) {
        NativeStep s = vcpu.nativeStep;
        Vmcs v = vcpu.getVmcs();
        if (s == null || v == null) return false;
        vcpu.nativeStep = null;
        v.write(s.field, v.read(s.field) | (s.bit & 0xffffffffL));
        if (!s.mtfWasOn) v.disable(VmcsField.PROC_BASED_CONTROLS, "MONITOR_TRAP_FLAG");
        return !s.mtfWasOn;
    }
}
