package dev.trapdoor.arch;

import java.util.Map;
import java.util.TreeMap;

/**
 * The CPUID answers a VM's CPU gives: one row of (EAX, EBX, ECX, EDX) per (leaf, subleaf). Both
 * backends take their CPU model from here (the interpreter answers CPUID exits from it; KVM gets it
 * through KVM_SET_CPUID2). Leaves past the highest basic/hypervisor/extended leaf answer as the highest
 * basic leaf does, as Intel CPUs do.
 */
public final class CpuidTable {
    public record Leaf(int eax, int ebx, int ecx, int edx) {}

    /** CPUID.1:ECX bit 31, set by hypervisors (SDM Vol. 2A, CPUID; reserved for hypervisor use). */
    public static final int ECX_HYPERVISOR = 1 << 31;

    private final Map<Long, Leaf> leaves = new TreeMap<>();

    /** CPUID.1:EDX feature bits (SDM Vol. 2A, CPUID, Table 3-11). */
    public static final int EDX_FPU = 1, EDX_PSE = 1 << 3, EDX_TSC = 1 << 4, EDX_MSR = 1 << 5, EDX_PAE = 1 << 6, EDX_CX8 = 1 << 8, EDX_APIC = 1 << 9,
            EDX_SEP = 1 << 11, EDX_PGE = 1 << 13, EDX_CMOV = 1 << 15, EDX_FXSR = 1 << 24;
    /** CPUID.80000001H:EDX bit 20: execute-disable (EFER.NXE, PAE bit 63). */
    public static final int EXT_EDX_NX = 1 << 20;

    /** The brand string of leaves 0x80000002-0x80000004. */
    public static final String INTERPRETER_BRAND = "Trapdoor IA-32 interpreter";

    /**
     * What the interpreter implements, and nothing more, as a P6-family Intel CPU (family 6
     * model 8 stepping 3): x87 FPU, 4 MiB pages (PSE), TSC, RDMSR/WRMSR, PAE paging, CMPXCHG8B,
     * SYSENTER/SYSEXIT, global pages (PGE), CMOV, FXSAVE/FXRSTOR and execute-disable (NX, leaf
     * 0x80000001); no VME, DE, APIC, MTRR, MMX or SSE (glibc and Linux pick code paths from these bits). Leaf 0x80000000 reaches the brand string leaves.
     */
    public static CpuidTable interpreterDefault() {
        CpuidTable t = new CpuidTable();
        t.setVendor(0, 1, "GenuineIntel");
        int edx = EDX_FPU | EDX_PSE | EDX_TSC | EDX_MSR | EDX_PAE | EDX_CX8 | EDX_SEP | EDX_PGE | EDX_CMOV | EDX_FXSR;
        t.set(1, 0, new Leaf(0x0683, 0, ECX_HYPERVISOR, edx));
        // Hypervisor leaf 0x40000000: the signature runs EBX, ECX, EDX (as KVM's "KVMKVMKVM\0\0\0").
        byte[] sig = "TrapdoorVMM ".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        t.set(0x40000000, 0, new Leaf(0x40000000, le(sig, 0), le(sig, 4), le(sig, 8)));
        t.set(0x80000000, 0, new Leaf(0x80000004, 0, 0, 0));
        t.set(0x80000001, 0, new Leaf(0, 0, 0, EXT_EDX_NX)); // NX; no long mode, no LAHF in 64-bit mode
        t.setBrand(INTERPRETER_BRAND);
        return t;
    }

    /** Leaves 0x80000002-4: 48 bytes of NUL-padded ASCII, four registers EAX, EBX, ECX, EDX per leaf. */
    public void setBrand(String brand) {
        byte[] b = java.util.Arrays.copyOf(brand.getBytes(java.nio.charset.StandardCharsets.US_ASCII), 48);
        b[47] = 0;
        for (int k = 0; k < 3; k++) set(0x80000002 + k, 0, new Leaf(le(b, 16 * k), le(b, 16 * k + 4), le(b, 16 * k + 8), le(b, 16 * k + 12)));
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
        int maxExt = maxOf(0x80000000);
        boolean inRange = Integer.compareUnsigned(leaf, maxBasic) <= 0
                || (maxHv != 0 && Integer.compareUnsigned(leaf, 0x40000000) >= 0 && Integer.compareUnsigned(leaf, maxHv) <= 0)
                || (maxExt != 0 && Integer.compareUnsigned(leaf, 0x80000000) >= 0 && Integer.compareUnsigned(leaf, maxExt) <= 0);
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
