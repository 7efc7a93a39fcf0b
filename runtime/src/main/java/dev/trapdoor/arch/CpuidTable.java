package dev.trapdoor.arch;

import java.util.Map;
import java.util.TreeMap;

/**
 * The CPUID answers a VM's CPU gives: one row of (EAX, EBX, ECX, EDX) per (leaf, subleaf). Both
 * backends take their CPU model from here (the interpreter answers CPUID exits from it; KVM gets it
 * through KVM_SET_CPUID2). Leaves past the highest basic/hypervisor leaf answer as the highest
 * basic leaf does, as Intel CPUs do.
 */
public final class CpuidTable {
    public record Leaf(int eax, int ebx, int ecx, int edx) {}

    /** CPUID.1:ECX bit 31, set by hypervisors (SDM Vol. 2A, CPUID; reserved for hypervisor use). */
    public static final int ECX_HYPERVISOR = 1 << 31;

    private final Map<Long, Leaf> leaves = new TreeMap<>();

    /** What the interpreter's first cut really implements: an i486-class integer core with CPUID, no FPU. */
    public static CpuidTable interpreterDefault() {
        CpuidTable t = new CpuidTable();
        t.setVendor(0, 1, "GenuineIntel");
        // Family 4 model 8 stepping 0: honest for a core without x87, CX8 or CMOV yet.
        t.set(1, 0, new Leaf(0x0480, 0, ECX_HYPERVISOR, 0));
        // Hypervisor leaf 0x40000000: the signature runs EBX, ECX, EDX (as KVM's "KVMKVMKVM\0\0\0").
        byte[] sig = "TrapdoorVMM ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        t.set(0x40000000, 0, new Leaf(0x40000000, le(sig, 0), le(sig, 4), le(sig, 8)));
        return t;
    }

    /** Leaf 0's vendor string runs EBX, EDX, ECX. */
    private void setVendor(int leaf, int maxLeaf, String twelve) {
        byte[] b = twelve.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        set(leaf, 0, new Leaf(maxLeaf, le(b, 0), le(b, 8), le(b, 4)));
    }

    private static int le(byte[] b, int o) {
        return (b[o] & 0xff) | (b[o + 1] & 0xff) << 8 | (b[o + 2] & 0xff) << 16 | (b[o + 3] & 0xff) << 24;
    }

    public void set(int leaf, int subleaf, Leaf value) {
        leaves.put(key(leaf, subleaf), value);
    }

    public Leaf get(int leaf, int subleaf) {
        Leaf l = leaves.get(key(leaf, subleaf));
        if (l == null) l = leaves.get(key(leaf, 0));
        if (l != null) return l;
        int maxBasic = maxOf(0);
        int maxHv = maxOf(0x40000000);
        boolean inRange = Integer.compareUnsigned(leaf, maxBasic) <= 0
                || (maxHv != 0 && Integer.compareUnsigned(leaf, 0x40000000) >= 0 && Integer.compareUnsigned(leaf, maxHv) <= 0);
        if (inRange) return ZERO;
        Leaf top = leaves.get(key(maxBasic, 0));
        return top == null ? ZERO : top;
    }

    private static final Leaf ZERO = new Leaf(0, 0, 0, 0);

    private int maxOf(int leaf) {
        Leaf l = leaves.get(key(leaf, 0));
        return l == null ? 0 : l.eax;
    }

    public Map<Long, Leaf> rows() {
        return java.util.Collections.unmodifiableMap(leaves);
    }

    private static long key(int leaf, int subleaf) {
        return (leaf & 0xffffffffL) << 32 | (subleaf & 0xffffffffL);
    }
}
