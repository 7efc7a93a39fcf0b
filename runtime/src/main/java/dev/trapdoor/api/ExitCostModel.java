package dev.trapdoor.api;

import dev.trapdoor.vmx.EntryControls;
import dev.trapdoor.vmx.ExitControls;
import dev.trapdoor.vmx.Vmcs;
import dev.trapdoor.vmx.VmcsField;
import dev.trapdoor.vmx.VmcsGroup;

/**
 * What a VM exit and the entry back cost in CPU cycles, from what the transitions move (SDM Vol.
 * 3C, 28.3 "Saving guest state", 28.5 "Loading host state", 27.3.2 "Loading guest state", the MSR
 * lists of 25.7.2/25.8.2): a fixed part per transition, a part per guest-state and host-state field
 * actually saved or loaded under the VM-exit/VM-entry controls, a part per MSR-list entry, an EPT
 * term and a TLB flush on both transitions when VPID is off (SDM 29.4.3.3: without VPID every
 * entry and exit invalidates the linear mappings).
 *
 * <p>The defaults put a bare round trip (EPT and VPID off, no MSR lists) near 1,450 cycles and one
 * with VPID on near 1,150: inside the 1,000-2,500 cycles published for VMX round trips on
 * processors from Nehalem to Skylake (Adams and Agesen, ASPLOS 2006, measured ~2,400 on early VT-x;
 * later generations report ~1,000-1,300). They are a model, not a measurement: every constant is a
 * public field scripts may set ({@code vm.exitCosts.perMsrListEntry = 100}).
 *
 * <p>The runtime charges a round trip per exit to the exit counters and, on a backend that counts
 * instructions, to the VM's virtual clock: an exit-heavy guest sees time pass (its TSC and device
 * timers move by the cost), as it would on hardware. {@link #chargeTime} turns the latter off.
 */
public final class ExitCostModel {
    /** Fixed part of a VM exit: recording exit information, the switch to host mode. */
    public long exitBase = 320;
    /** Fixed part of a VM entry: the checks of SDM 27.1-27.3, the switch to guest mode. */
    public long entryBase = 340;
    /** Per guest-state field saved on exit or loaded on entry. */
    public long perGuestField = 4;
    /** Per host-state field loaded on exit. */
    public long perHostField = 3;
    /** Per entry in the VM-exit MSR-store, VM-exit MSR-load or VM-entry MSR-load list (an MSR access each). */
    public long perMsrListEntry = 45;
    /** EPT on: the EPTP switch and the paging-structure caches that go with it, per transition. */
    public long eptPerTransition = 30;
    /** VPID off: the TLB flush each transition implies, per transition. */
    public long tlbFlushPerTransition = 150;
    /** CPU cycles per virtual nanosecond (1.0: the 1 GHz the interpreter's clock assumes). */
    public double cyclesPerNanosecond = 1.0;
    /** Whether the runtime advances virtual time by each exit's cost. */
    public boolean chargeTime = true;

    /** Cycles for the exit that just happened and the entry that will follow, under vmcs (null: a backend without one, costed as EPT and VPID on, no MSR lists). */
    public long roundTrip(Vmcs vmcs) {
        return exitCycles(vmcs) + entryCycles(vmcs);
    }

    public long exitCycles(Vmcs vmcs) {
        if (vmcs == null) return exitBase + BASE_GUEST_FIELDS * perGuestField + BASE_HOST_FIELDS * perHostField + eptPerTransition;
        int exitCtl = (int) vmcs.read(VmcsField.VM_EXIT_CONTROLS);
        long c = exitBase + guestFieldsSaved(exitCtl) * perGuestField + hostFieldsLoaded(exitCtl) * perHostField;
        c += (vmcs.read(VmcsField.VM_EXIT_MSR_STORE_COUNT) + vmcs.read(VmcsField.VM_EXIT_MSR_LOAD_COUNT)) * perMsrListEntry;
        return c + transitionExtras(vmcs);
    }

    public long entryCycles(Vmcs vmcs) {
        if (vmcs == null) return entryBase + BASE_GUEST_FIELDS * perGuestField + eptPerTransition;
        int entryCtl = (int) vmcs.read(VmcsField.VM_ENTRY_CONTROLS);
        long c = entryBase + guestFieldsLoaded(entryCtl, vmcs.eptEnabled()) * perGuestField;
        c += vmcs.read(VmcsField.VM_ENTRY_MSR_LOAD_COUNT) * perMsrListEntry;
        return c + transitionExtras(vmcs);
    }

    private long transitionExtras(Vmcs vmcs) {
        long c = vmcs.eptEnabled() ? eptPerTransition : 0;
        return vmcs.vpid() == 0 ? c + tlbFlushPerTransition : c;
    }

    /** Virtual nanoseconds for cycles. */
    public long nanos(long cycles) {
        return Math.round(cycles / cyclesPerNanosecond);
    }

    // ---- which fields a transition moves

    /** Guest-state fields every exit saves and every entry loads: registers, segments, descriptor tables, SYSENTER, interruptibility and activity. */
    static final int BASE_GUEST_FIELDS;
    /** Host-state fields every exit loads. */
    static final int BASE_HOST_FIELDS;

    static {
        int g = 0, h = 0;
        for (VmcsField f : VmcsField.values()) {
            if (f.group() == VmcsGroup.GUEST_STATE && !conditionalGuest(f)) g++;
            if (f.group() == VmcsGroup.HOST_STATE && !conditionalHost(f)) h++;
        }
        BASE_GUEST_FIELDS = g;
        BASE_HOST_FIELDS = h;
    }

    /** Guest fields moved only under a control, or never by an ordinary transition (link pointer, SMBASE, the posted/PML fields). */
    private static boolean conditionalGuest(VmcsField f) {
        return switch (f) {
            case GUEST_IA32_PAT, GUEST_IA32_EFER, GUEST_IA32_DEBUGCTL, GUEST_DR7, GUEST_IA32_PERF_GLOBAL_CTRL,
                 GUEST_IA32_BNDCFGS, VMX_PREEMPTION_TIMER_VALUE, GUEST_PDPTE0, GUEST_PDPTE1, GUEST_PDPTE2, GUEST_PDPTE3,
                 VMCS_LINK_POINTER, GUEST_SMBASE, GUEST_INTERRUPT_STATUS, GUEST_PML_INDEX -> true;
            default -> false;
        };
    }

    private static boolean conditionalHost(VmcsField f) {
        return f == VmcsField.HOST_IA32_PAT || f == VmcsField.HOST_IA32_EFER || f == VmcsField.HOST_IA32_PERF_GLOBAL_CTRL;
    }

    static int guestFieldsSaved(int exitCtl) {
        int n = BASE_GUEST_FIELDS;
        if ((exitCtl & ExitControls.SAVE_DEBUG_CONTROLS) != 0) n += 2; // DR7, IA32_DEBUGCTL
        if ((exitCtl & ExitControls.SAVE_IA32_PAT) != 0) n++;
        if ((exitCtl & ExitControls.SAVE_IA32_EFER) != 0) n++;
        if ((exitCtl & ExitControls.SAVE_PREEMPTION_TIMER) != 0) n++;
        return n;
    }

    static int guestFieldsLoaded(int entryCtl, boolean ept) {
        int n = BASE_GUEST_FIELDS;
        if ((entryCtl & EntryControls.LOAD_DEBUG_CONTROLS) != 0) n += 2;
        if ((entryCtl & EntryControls.LOAD_IA32_PAT) != 0) n++;
        if ((entryCtl & EntryControls.LOAD_IA32_EFER) != 0) n++;
        if ((entryCtl & EntryControls.LOAD_IA32_PERF_GLOBAL_CTRL) != 0) n++;
        if ((entryCtl & EntryControls.LOAD_IA32_BNDCFGS) != 0) n++;
        if (ept) n += 4; // PDPTEs, loaded for a PAE guest with EPT (SDM 27.3.2.4); counted whenever EPT is on
        return n;
    }

    static int hostFieldsLoaded(int exitCtl) {
        int n = BASE_HOST_FIELDS;
        if ((exitCtl & ExitControls.LOAD_IA32_PAT) != 0) n++;
        if ((exitCtl & ExitControls.LOAD_IA32_EFER) != 0) n++;
        if ((exitCtl & ExitControls.LOAD_IA32_PERF_GLOBAL_CTRL) != 0) n++;
        return n;
    }

    @Override
    public String toString() {
        return String.format("exit %d + entry %d cycles base, %d/guest field (%d always), %d/host field (%d always), %d/MSR-list entry, EPT %d, no-VPID flush %d per transition; %.2f cycles/ns, charge time %s",
                exitBase, entryBase, perGuestField, BASE_GUEST_FIELDS, perHostField, BASE_HOST_FIELDS, perMsrListEntry,
                eptPerTransition, tlbFlushPerTransition, cyclesPerNanosecond, chargeTime);
    }
}
