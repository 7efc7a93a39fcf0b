package dev.trapdoor.api;

import dev.trapdoor.vmx.InterruptionInfo;
import dev.trapdoor.vmx.PinBased;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.VmcsField;

/**
 * The VMM's half of interrupt virtualization on the interpreter: external interrupts and NMIs that
 * exited (external-interrupt exiting, NMI exiting) wait here and go into the guest by VM-entry
 * event injection as soon as the guest can take them (SDM Vol. 3C, 27.6 and the entry checks of
 * 27.3.1.5); until then the injector asks for an interrupt-window or NMI-window exit. One per vCPU.
 *
 * <p>Interrupts are injected last-acknowledged first: a controller acknowledges a second request
 * while an earlier one is still waiting only if it outranks it (8259A and local APIC alike).
 */
final class EventInjector {
    private static final int STI = 1, MOV_SS = 2, NMI_BLOCKING = 8; // interruptibility state (SDM Table 25-3)

    private final int[] vectors = new int[256];
    private int count;
    private boolean nmi;
    /** The window exits this injector turned on, so it turns them off again (a script's own stay on). */
    private boolean ownsInterruptWindow, ownsNmiWindow;

    void queueInterrupt(int vector) {
        if (count < vectors.length) vectors[count++] = vector & 0xff;
    }

    void queueNmi() {
        nmi = true;
    }

    boolean interruptPending() {
        return count > 0;
    }

    boolean nmiPending() {
        return nmi;
    }

    /** Before VM entry: inject one waiting event if the guest can take it now, else ask for the window exit. */
    void beforeEntry(Vcpu vcpu) {
        if (count == 0 && !nmi && !ownsInterruptWindow && !ownsNmiWindow) return;
        Vmcs v = vcpu.getVmcs();
        if (v == null) return;
        boolean injecting = InterruptionInfo.valid(v.read(VmcsField.VM_ENTRY_INTERRUPTION_INFO)); // a script's injection goes first
        long state = v.read(VmcsField.GUEST_INTERRUPTIBILITY_STATE);
        if (nmi && !injecting) {
            if ((state & (MOV_SS | NMI_BLOCKING)) == 0) {
                v.write(VmcsField.VM_ENTRY_INTERRUPTION_INFO, InterruptionInfo.encode(2, InterruptionInfo.TYPE_NMI, false) & 0xffffffffL);
                nmi = false;
                injecting = true;
            }
        }
        // Without virtual NMIs the VMM cannot see the guest's IRET; a blocked NMI waits for a later exit.
        boolean virtualNmis = (v.pinBased() & PinBased.VIRTUAL_NMIS) != 0;
        ownsNmiWindow = window(v, "NMI_WINDOW_EXITING", nmi && virtualNmis, ownsNmiWindow);
        if (count > 0 && !injecting) {
            boolean open = (vcpu.get("eflags") & 0x200) != 0 && (state & (STI | MOV_SS)) == 0;
            if (open) v.write(VmcsField.VM_ENTRY_INTERRUPTION_INFO, InterruptionInfo.encode(vectors[--count], InterruptionInfo.TYPE_EXTERNAL_INTERRUPT, false) & 0xffffffffL);
        }
        ownsInterruptWindow = window(v, "INTERRUPT_WINDOW_EXITING", count > 0, ownsInterruptWindow);
    }

    /** Turns a window exit on while wanted, and off again once not wanted if this injector turned it on; returns ownership. */
    private static boolean window(Vmcs v, String control, boolean wanted, boolean owned) {
        int bit = dev.trapdoor.vmx.ControlBits.bit(dev.trapdoor.vmx.ProcBased.class, control);
        boolean on = (v.procBased() & bit) != 0;
        if (wanted) {
            if (on) return owned;
            v.enable(VmcsField.PROC_BASED_CONTROLS, control);
            return true;
        }
        if (owned && on) v.disable(VmcsField.PROC_BASED_CONTROLS, control);
        return false;
    }
}
