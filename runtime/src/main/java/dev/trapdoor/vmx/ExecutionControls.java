package dev.trapdoor.vmx;

/**
 * The VM-execution controls the interpreter honours so far (a subset of the VMCS's pin-based and
 * processor-based controls, SDM Vol. 3C 24.6). The full VMCS replaces this in the VMX issue.
 */
public final class ExecutionControls {
    /** Primary processor-based control bit 7. */
    public boolean hltExiting = true;
    /** Primary processor-based control bit 24: every IN/OUT/INS/OUTS exits. */
    public boolean unconditionalIoExiting = true;
    /** One bit per exception vector 0-31: set = the exception exits instead of going to the guest IDT. */
    public int exceptionBitmap;
}
