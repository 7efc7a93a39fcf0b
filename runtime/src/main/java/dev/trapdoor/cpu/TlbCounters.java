package dev.trapdoor.cpu;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A snapshot of a vCPU's translation counters. misses are TLB fills (each a page walk); walks
 * counts every walk including those that faulted and those no TLB lookup asked for (the checks
 * of a page-crossing write); references are the memory references of all walks: guest
 * paging-structure reads plus EPT entry reads (a 2-level guest walk over 4-level EPT reads up to
 * (2+1)(4+1)-1 = 14 entries, SDM Vol. 3C, 29.3). hits are counted only while counting is on:
 * the fast path costs nothing extra otherwise (see {@code Vcpu.setTlbCounting}).
 */
public record TlbCounters(long hits, long misses, long walks, long references, long guestReferences,
                          long eptReferences, long flushes, long eptExits, boolean counting) {

    public double referencesPerWalk() {
        return walks == 0 ? 0 : (double) references / walks;
    }

    public double hitRate() {
        long n = hits + misses;
        return n == 0 ? 0 : (double) hits / n;
    }

    public Map<String, Object> toMap() {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("hits", hits);
        m.put("misses", misses);
        m.put("walks", walks);
        m.put("references", references);
        m.put("guestReferences", guestReferences);
        m.put("eptReferences", eptReferences);
        m.put("referencesPerWalk", referencesPerWalk());
        m.put("hitRate", hitRate());
        m.put("flushes", flushes);
        m.put("eptExits", eptExits);
        m.put("counting", counting);
        return m;
    }

    @Override
    public String toString() {
        return String.format("TLB: %s hits, %d misses, %d walks, %d references (%d guest, %d EPT; %.2f per walk), %d flushes, %d EPT exits",
                counting ? Long.toString(hits) : "(not counted)", misses, walks, references, guestReferences, eptReferences,
                referencesPerWalk(), flushes, eptExits);
    }
}
