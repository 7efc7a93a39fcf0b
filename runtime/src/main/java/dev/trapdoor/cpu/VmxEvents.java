package dev.trapdoor.cpu;

import dev.trapdoor.vmx.ExitControls;
import dev.trapdoor.vmx.ExitReason;
import dev.trapdoor.vmx.InterruptionInfo;
import dev.trapdoor.vmx.PinBased;
import dev.trapdoor.vmx.ProcBased;
import dev.trapdoor.vmx.VmcsField;

/**
 * What happens at an instruction boundary in VMX non-root operation, in the SDM's priority order
 * (Vol. 3A, Table 6-2, with the VMX events of Vol. 3C, 26.2 and 26.7): NMI-window exiting, an NMI
 * (an exit with "NMI exiting", else delivery through vector 2), interrupt-window exiting, an
 * external interrupt (an exit with "external-interrupt exiting", else delivery through the IDT),
 * and the monitor trap flag's exit after an instruction or an injected event.
 */
final class VmxEvents {
    private VmxEvents() {}

    /** Interruptibility-state bits (SDM Vol. 3C, Table 25-3). */
    static final int BLOCKING_BY_STI = 1, BLOCKING_BY_MOV_SS = 2, BLOCKING_BY_NMI = 8;

    /**
     * The events due at this boundary; true if one ended in an exit. Blocking by STI and MOV SS
     * holds back maskable interrupts, exiting or not; with "external-interrupt exiting" RFLAGS.IF
     * does not mask them (25.3). MOV SS also blocks NMIs (Table 25-3); so does NMI blocking.
     */
    static boolean boundary(Cpu c, boolean interruptWindow) {
        boolean shadow = c.retired <= c.interruptShadowUntil;
        int pin = c.pinCtl;
        // NMI-window exiting needs virtual NMIs (an entry check), so nmiBlocked is virtual-NMI blocking here (26.7.6).
        if ((c.procCtl & ProcBased.NMI_WINDOW_EXITING) != 0 && !c.nmiBlocked && !shadow) {
            c.halted = false;
            exit(c, ExitReason.NMI_WINDOW);
            return true;
        }
        if (c.nmiPending && !c.nmiBlocked && !(shadow && c.movSsShadow)) {
            c.nmiPending = false;
            if ((pin & PinBased.NMI_EXITING) != 0) {
                exit(c, ExitReason.EXCEPTION_NMI);
                c.exit.vector = 2; // recorded as type NMI, vector 2 (SDM 28.2.2)
                return true;
            }
            c.takeNmi();
            if (c.exitPending) return true;
        }
        if (interruptWindow && c.interruptsEnabled() && !shadow) {
            // Interrupt-window exiting (SDM 26.7.5): before any instruction once IF=1 and nothing blocks; it also ends HLT.
            c.halted = false;
            exit(c, ExitReason.INTERRUPT_WINDOW);
            return true;
        }
        if (shadow) return false;
        if ((pin & PinBased.EXTERNAL_INTERRUPT_EXITING) != 0) {
            if (!c.interruptRequested()) return false;
            exit(c, ExitReason.EXTERNAL_INTERRUPT);
            // "Acknowledge interrupt on exit" (SDM 28.2.2): the CPU runs INTA and reports the vector as valid
            // interruption information of type external interrupt; without it the request stays pending.
            if ((c.vmcs.read(VmcsField.VM_EXIT_CONTROLS) & ExitControls.ACKNOWLEDGE_INTERRUPT_ON_EXIT) != 0) c.exit.vector = c.acknowledgeInterrupt();
            return true;
        }
        if (c.interruptsEnabled()) {
            c.takePendingInterrupt();
            return c.exitPending;
        }
        return false;
    }

    /** Whether a halted vCPU has something to wake it (or to exit for): an NMI, or an interrupt it would take or exit for. */
    static boolean wakes(Cpu c) {
        if (c.nmiPending && !c.nmiBlocked) return true;
        if (!c.interruptRequested()) return false;
        return c.interruptsEnabled() || (c.pinCtl & PinBased.EXTERNAL_INTERRUPT_EXITING) != 0;
    }

    /**
     * The MTF VM exit (reason 37, SDM 26.5.2): on the boundary after an instruction, or after an
     * injected event or a fault was delivered; RIP is the next instruction, the qualification 0.
     */
    static void monitorTrap(Cpu c) {
        exit(c, ExitReason.MONITOR_TRAP_FLAG);
    }

    private static void exit(Cpu c, ExitReason reason) {
        c.exit.reset(reason);
        c.exit.rip = c.eip & 0xffffffffL;
        c.exitPending = true;
    }

    /** The interruptibility state VM exit saves (Table 25-3). */
    static int interruptibility(Cpu c) {
        int v = 0;
        if (c.interruptShadowUntil >= c.retired) v |= c.movSsShadow ? BLOCKING_BY_MOV_SS : BLOCKING_BY_STI;
        if (c.nmiBlocked) v |= BLOCKING_BY_NMI;
        return v;
    }

    /**
     * VM entry's checks on the execution controls this model honours (SDM 27.2.1.1): virtual NMIs
     * need NMI exiting, NMI-window exiting needs virtual NMIs. null if they pass.
     */
    static String checkControls(int pin, int proc) {
        if ((pin & PinBased.VIRTUAL_NMIS) != 0 && (pin & PinBased.NMI_EXITING) == 0) return "virtual NMIs without NMI exiting";
        if ((proc & ProcBased.NMI_WINDOW_EXITING) != 0 && (pin & PinBased.VIRTUAL_NMIS) == 0) return "NMI-window exiting without virtual NMIs";
        return null;
    }

    /** The interruption information of an NMI being delivered. */
    static final int NMI_INFO = InterruptionInfo.encode(2, InterruptionInfo.TYPE_NMI, false);
}
