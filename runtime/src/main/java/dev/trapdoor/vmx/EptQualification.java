package dev.trapdoor.vmx;

/** Exit qualification for EPT violations (SDM Vol. 3C, Table 28-7). */
public final class EptQualification {
    private EptQualification() {}

    public static final int DATA_READ = 1;
    public static final int DATA_WRITE = 1 << 1;
    public static final int INSTRUCTION_FETCH = 1 << 2;
    public static final int READABLE = 1 << 3;
    public static final int WRITABLE = 1 << 4;
    public static final int EXECUTABLE = 1 << 5;
    public static final int LINEAR_VALID = 1 << 7;
    /** With LINEAR_VALID: the access was to the translated address, not a paging-structure entry. */
    public static final int TRANSLATED_ACCESS = 1 << 8;

    /** An access to a page with no EPT mapping at all, as MMIO is: no permission bits set. */
    public static long mmio(boolean write, boolean linearValid) {
        long q = write ? DATA_WRITE : DATA_READ;
        if (linearValid) q |= LINEAR_VALID | TRANSLATED_ACCESS;
        return q;
    }
}
