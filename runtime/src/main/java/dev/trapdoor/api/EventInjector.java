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
    /** External-interrupt exiting is off until the guest's interrupt window opens; then the INTA cycle if deferred. */
    private boolean exitingSuspended, acknowledgeAtWindow;

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

    /**
     * An EXTERNAL_INTERRUPT exit. The interrupt controller is the guest's own, so the vector it
     * answers depends on how the guest has programmed it at the INTA cycle: the VMM runs that cycle
     * when the guest can take the interrupt (RFLAGS.IF = 1, no STI/MOV SS blocking), as a VMM does
     * for its virtual PIC. Until then external-interrupt exiting is suspended and interrupt-window
     * exiting asked for (an interrupt that exits regardless of IF, SDM 25.3, would otherwise exit
     * at every instruction while the guest runs with IF = 0). With "acknowledge interrupt on exit"
     * the CPU already ran the cycle: that vector waits for the window as it is, and is stale if the
     * guest reprograms its controller meanwhile (an 8259 requesting IRQ0 from power-up gives vector
     * 0 before Linux programs it): leave that control off for guests that start with IF = 0.
     */
    void externalInterruptExit(Vcpu vcpu, Vmcs v) {
        long info = v.read(VmcsField.VM_EXIT_INTERRUPTION_INFO);
        boolean acknowledged = InterruptionInfo.valid(info);
        if (acknowledged) queueInterrupt(InterruptionInfo.vector(info));
        boolean open = (vcpu.get("eflags") & 0x200) != 0 && (v.read(VmcsField.GUEST_INTERRUPTIBILITY_STATE) & (STI | MOV_SS)) == 0;
        if (open) {
            if (!acknowledged) {
                int vector = vcpu.acknowledgeInterrupt();
                if (vector >= 0) queueInterrupt(vector);
            }
            return;
        }
        if (!acknowledged) acknowledgeAtWindow = true;
        if ((v.pinBased() & PinBased.EXTERNAL_INTERRUPT_EXITING) != 0) {
            v.disable(VmcsField.PIN_BASED_CONTROLS, "EXTERNAL_INTERRUPT_EXITING");
            exitingSuspended = true;
        }
    }

    /**
     * An INTERRUPT_WINDOW exit: resumes suspended external-interrupt exiting and runs a deferred
     * INTA cycle. False if this injector was not waiting for the window (a script asked for it).
     */
    boolean windowOpened(Vcpu vcpu) {
        Vmcs v = vcpu.getVmcs();
        boolean mine = count > 0 || exitingSuspended || acknowledgeAtWindow;
        if (exitingSuspended && v != null) v.enable(VmcsField.PIN_BASED_CONTROLS, "EXTERNAL_INTERRUPT_EXITING");
        exitingSuspended = false;
        if (acknowledgeAtWindow) {
            acknowledgeAtWindow = false;
            int vector = vcpu.acknowledgeInterrupt();
            if (vector >= 0) queueInterrupt(vector);
        }
        return mine;
    }

    /** Before VM entry: inject one waiting event if the guest can take it now, else ask for the window exit. */
    void beforeEntry(Vcpu vcpu) {
        if (count == 0 && !nmi && !ownsInterruptWindow && !ownsNmiWindow && !exitingSuspended) return;
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
        ownsInterruptWindow = window(v, "INTERRUPT_WINDOW_EXITING", count > 0 || exitingSuspended, ownsInterruptWindow);
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
