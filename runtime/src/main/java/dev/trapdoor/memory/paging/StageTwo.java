package dev.trapdoor.memory.paging;

/**
 * Second-stage translation of guest-physical addresses, which every guest paging-structure
 * reference and every data access goes through: the identity when EPT is off, an
 * {@link EptWalker} when it is on.
 */
public interface StageTwo {
    /** Access kinds, as in the EPT-violation qualification's bits 2:0. */
    int READ = 1, WRITE = 2, FETCH = 4;

    /** Returned by {@link #translate} when the access fails; {@link #result()} says why. */
    long FAILED = -1;

    /**
     * Translates gpa for an access of the given kind. linearBits are the EPT qualification's
     * bits 7 and 8 (EptQualification.LINEAR_VALID, TRANSLATED_ACCESS) that the caller knows:
     * LINEAR_VALID alone marks an access to a guest paging-structure entry.
     */
    long translate(long gpa, int access, int linearBits);

    /** The last translation's outcome (status, qualification, page size). Reused between calls. */
    EptResult result();

    /** Paging-structure entries read by all walks so far. */
    long references();

    /** The identity translation: every access succeeds and costs no reference. */
    static StageTwo identity() {
        return new StageTwo() {
            private final EptResult r = new EptResult();

            @Override
            public long translate(long gpa, int access, int linearBits) {
                r.status = EptResult.OK;
                r.guestPhysical = gpa;
                r.hostPhysical = gpa;
                r.permissions = 7;
                r.memoryType = Ept.MT_WB;
                r.pageSize = 1L << 30;
                r.references = 0;
                return gpa;
            }

            @Override public EptResult result() { return r; }
            @Override public long references() { return 0; }
        };
    }
}
