package dev.trapdoor.api;

import java.util.Map;
import java.util.TreeMap;

/**
 * The hypercall ABI of VMCALL (0F 01 C1) on the interpreter, small and KVM-like: EAX holds the
 * function number, EBX, ECX, EDX and ESI its arguments; the result comes back in EAX and execution
 * goes on after the VMCALL. Other registers are preserved unless a handler changes them.
 *
 * <ul>
 *   <li>function 0 ({@link #VERSION}) answers the ABI version, {@link #ABI_VERSION};</li>
 *   <li>a function no handler serves answers {@link #ENOSYS} (-1000, as KVM's -KVM_ENOSYS);</li>
 *   <li>a VMCALL at CPL &gt; 0 answers {@link #EPERM} (-1, as KVM's -KVM_EPERM) and reaches no handler.</li>
 * </ul>
 * Scripts add functions: {@code vm.hypercalls.on(0x100) { vcpu -> vcpu.ebx * 2 }}.
 */
public final class Hypercalls {
    public static final int VERSION = 0;
    public static final long ABI_VERSION = 1;
    public static final long ENOSYS = -1000;
    public static final long EPERM = -1;

    /** One hypercall function: reads its arguments from the vCPU's registers, returns EAX. */
    @FunctionalInterface
    public interface Handler {
        long call(Vcpu vcpu);
    }

    private final Map<Long, Handler> handlers = new TreeMap<>();
    private long calls;

    Hypercalls() {
        handlers.put((long) VERSION, v -> ABI_VERSION);
    }

    /** Serves function number with handler (replacing any earlier one). */
    public void on(long number, Handler handler) {
        if (handler == null) throw new IllegalArgumentException("a hypercall handler cannot be null");
        handlers.put(number & 0xffffffffL, handler);
    }

    public void remove(long number) {
        handlers.remove(number & 0xffffffffL);
    }

    /** The function numbers served. */
    public java.util.Set<Long> numbers() {
        return java.util.Collections.unmodifiableSet(handlers.keySet());
    }

    /** VMCALLs answered so far. */
    public long getCalls() {
        return calls;
    }

    /** Answers the VMCALL of this exit: EAX gets the result, EIP moves past the instruction. */
    void dispatch(Vcpu vcpu, Exit e) {
        calls++;
        long result;
        if (cpl(vcpu) != 0) {
            result = EPERM;
        } else {
            Handler h = handlers.get(vcpu.get("eax"));
            result = h == null ? ENOSYS : h.call(vcpu);
        }
        vcpu.set("eax", result & 0xffffffffL);
        vcpu.set("eip", e.getRip() + e.getInstructionLength());
    }

    /** CPL is SS.DPL under VMX (SDM Vol. 3C, 26.3.1.5); 0 in real mode. */
    private static int cpl(Vcpu vcpu) {
        dev.trapdoor.arch.X86Registers r = vcpu.getRegisters();
        return r.protectedMode() ? (r.seg[dev.trapdoor.arch.X86Registers.SS].access >>> 5) & 3 : 0;
    }
}
