package dev.trapdoor.api;

import java.util.HashMap;
import java.util.Map;

/**
 * The model-specific registers a VMM answers on RDMSR/WRMSR exits. An MSR not in the table does
 * not exist on this CPU: the access gets #GP(0), as on hardware (Linux probes with rdmsr_safe).
 * Scripts may add or change rows.
 */
public final class MsrTable {
    public static final int IA32_TSC = 0x10;
    public static final int IA32_PLATFORM_ID = 0x17;
    public static final int IA32_BIOS_SIGN_ID = 0x8b;
    public static final int IA32_MISC_ENABLE = 0x1a0;

    private final Map<Integer, Long> values = new HashMap<>();
    private final Map<Integer, Handler> handlers = new HashMap<>();

    /** An MSR a device implements (IA32_APIC_BASE): reads and writes reach it; a false write is #GP(0). */
    public interface Handler {
        long read();

        boolean write(long value);
    }

    /** Routes an MSR to a device; replaces a plain value of the same number. */
    public void handle(int msr, Handler h) {
        values.remove(msr);
        handlers.put(msr, h);
    }

    /** The MSRs a P6-class CPU without APIC, MTRR or PAT has and Linux reads. */
    static MsrTable p6() {
        MsrTable t = new MsrTable();
        t.define(IA32_PLATFORM_ID, 0);
        t.define(IA32_BIOS_SIGN_ID, 0);         // microcode revision (EDX) 0: none loaded
        t.define(IA32_MISC_ENABLE, 1);          // fast-strings enabled
        // No performance-monitoring MSRs: the interpreter counts no events, so PerfEvtSel/PerfCtr
        // #GP and Linux's PMU probe (rdmsr_safe) falls back to software events, as on a VM without a vPMU.
        return t;
    }

    public void define(int msr, long value) {
        handlers.remove(msr);
        values.put(msr, value);
    }

    public void remove(int msr) {
        values.remove(msr);
        handlers.remove(msr);
    }

    public boolean has(int msr) {
        return values.containsKey(msr) || handlers.containsKey(msr);
    }

    /** The value, or null when the MSR does not exist. */
    public Long read(int msr) {
        Handler h = handlers.get(msr);
        if (h != null) return h.read();
        return values.get(msr);
    }

    /** False when the MSR does not exist or refuses the value (the guest gets #GP). */
    public boolean write(int msr, long value) {
        Handler h = handlers.get(msr);
        if (h != null) return h.write(value);
        if (!values.containsKey(msr)) return false;
        values.put(msr, value);
        return true;
    }

    public Map<Integer, Long> rows() {
        Map<Integer, Long> all = new java.util.TreeMap<>(values);
        handlers.forEach((msr, h) -> all.put(msr, h.read()));
        return java.util.Collections.unmodifiableMap(all);
    }
}
