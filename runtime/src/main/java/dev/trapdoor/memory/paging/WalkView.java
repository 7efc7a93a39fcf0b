package dev.trapdoor.memory.paging;

import dev.trapdoor.memory.PhysicalMemory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A debugger's look at one translation: the guest's walk (32-bit or PAE paging, SDM Vol. 3A, 4.3
 * and 4.4) and, beneath each guest-physical reference, the EPT walk (SDM Vol. 3C, 29.3), step by
 * step with every entry's address, value and the references it cost. It reads only: no
 * accessed/dirty updates, no counters, no faults; it stops where the processor would fault or
 * exit and says why. Rights are not checked (the view answers "where", not "may"). Not for the
 * hot path: it allocates its steps.
 */
public final class WalkView {
    /** One entry read: stage "guest" or "ept", the entry's level name, its address (guest-physical for guest entries, host for EPT ones). */
    public record Step(String stage, String level, long address, long value, int references) {
        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("stage", stage);
            m.put("level", level);
            m.put("address", address);
            m.put("value", value);
            m.put("references", references);
            return m;
        }

        @Override
        public String toString() {
            String indent = stage.equals("ept") ? "    ept   " : "  guest   ";
            return String.format("%s%-6s @ %#012x = %#018x  (%d ref%s)", indent, level, address, value, references, references == 1 ? "" : "s");
        }
    }

    /** The walk: its steps, the guest-physical and host addresses (-1 where it stopped before them), and why it stopped (null if it did not). */
    public record Result(long linear, List<Step> steps, long guestPhysical, long hostPhysical, String stop) {
        public int references() {
            int n = 0;
            for (Step s : steps) n += s.references();
            return n;
        }

        public List<Map<String, Object>> stepMaps() {
            List<Map<String, Object>> l = new ArrayList<>();
            for (Step s : steps) l.add(s.toMap());
            return l;
        }

        public Map<String, Object> toMap() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("linear", linear);
            m.put("guestPhysical", guestPhysical);
            m.put("hostPhysical", hostPhysical);
            m.put("references", references());
            m.put("stop", stop);
            m.put("steps", stepMaps());
            return m;
        }

        @Override
        public String toString() {
            StringBuilder sb = new StringBuilder();
            if (hostPhysical >= 0) {
                sb.append(String.format("%#x -> %#x", linear, hostPhysical));
                if (guestPhysical != hostPhysical) sb.append(String.format(" (guest-physical %#x)", guestPhysical));
            } else {
                sb.append(String.format("%#x: not mapped (%s)", linear, stop));
            }
            sb.append(String.format(", %d references%n", references()));
            for (Step s : steps) sb.append(s).append('\n');
            return sb.toString();
        }
    }

    private static final long P = 1, PS = 1L << 7;
    private static final String[] EPT_LEVELS = {"", "PTE", "PDE", "PDPTE", "PML4E"};

    private final PhysicalMemory memory;
    private final HostPages eptTables;
    private final long eptp;
    private final long eptAddressMask;
    private final long paeAddressMask;
    private final List<Step> steps = new ArrayList<>();
    private String stop;

    /** eptTables null: no EPT (guest-physical is host). maxPhysAddr is the guest's (PAE) and the EPT's. */
    public WalkView(PhysicalMemory memory, HostPages eptTables, long eptp, int guestMaxPhysAddr, int eptMaxPhysAddr) {
        this.memory = memory;
        this.eptTables = eptTables;
        this.eptp = eptp;
        this.eptAddressMask = ((1L << eptMaxPhysAddr) - 1) & ~0xfffL;
        this.paeAddressMask = ((1L << guestMaxPhysAddr) - 1) & ~0xfffL;
    }

    /** Walks linear with the given control registers; pdptes are PAE's four PDPTE registers (ignored otherwise). */
    public Result walk(long linear, long cr0, long cr3, long cr4, long[] pdptes) {
        steps.clear();
        stop = null;
        long la = linear & 0xFFFF_FFFFL;
        long gpa = guestWalk(la, cr0, cr3, cr4, pdptes);
        long hpa = gpa < 0 ? -1 : secondStage(gpa);
        return new Result(la, List.copyOf(steps), gpa, hpa, stop);
    }

    private long guestWalk(long la, long cr0, long cr3, long cr4, long[] pdptes) {
        if ((cr0 & GuestPageWalker.CR0_PG) == 0) return la;
        if ((cr4 & GuestPageWalker.CR4_PAE) != 0) {
            int i = (int) (la >>> 30) & 3;
            long pdp = pdptes[i];
            steps.add(new Step("guest", "PDPTE" + i, cr3 & 0xFFFF_FFE0L | i * 8L, pdp, 0)); // a register: loaded at CR3 load
            if ((pdp & P) == 0) return fault("PDPTE not present: #PF");
            long pde = guestEntry("PDE", (pdp & paeAddressMask) | ((la >>> 21) & 511) << 3, true);
            if (pde == -1 || (pde & P) == 0) return pde == -1 ? -1 : fault("PDE not present: #PF");
            if ((pde & PS) != 0) return (pde & paeAddressMask & ~0x1F_FFFFL) | (la & 0x1F_FFFFL);
            long pte = guestEntry("PTE", (pde & paeAddressMask) | ((la >>> 12) & 511) << 3, true);
            if (pte == -1 || (pte & P) == 0) return pte == -1 ? -1 : fault("PTE not present: #PF");
            return (pte & paeAddressMask) | (la & 0xFFF);
        }
        long pde = guestEntry("PDE", (cr3 & 0xFFFF_F000L) | (la >>> 22) << 2, false);
        if (pde == -1 || (pde & P) == 0) return pde == -1 ? -1 : fault("PDE not present: #PF");
        if ((pde & PS) != 0 && (cr4 & GuestPageWalker.CR4_PSE) != 0)
            return (pde & 0xFFC0_0000L) | ((pde >>> 13) & 0xF) << 32 | (la & 0x3F_FFFFL);
        long pte = guestEntry("PTE", (pde & 0xFFFF_F000L) | ((la >>> 12) & 0x3FF) << 2, false);
        if (pte == -1 || (pte & P) == 0) return pte == -1 ? -1 : fault("PTE not present: #PF");
        return (pte & 0xFFFF_F000L) | (la & 0xFFF);
    }

    private long fault(String why) {
        stop = why;
        return -1;
    }

    /** A guest entry: its gpa's EPT walk first, then the read. -1 when the EPT walk stopped. */
    private long guestEntry(String level, long gpa, boolean wide) {
        long hpa = secondStage(gpa);
        if (hpa < 0) return -1;
        long v = wide ? memory.read64(hpa) : memory.read32(hpa) & 0xFFFF_FFFFL;
        steps.add(new Step("guest", level, gpa, v, 1));
        return v;
    }

    /** The EPT walk of gpa with its steps (identity without EPT); -1 where it fails. */
    private long secondStage(long gpa) {
        if (eptTables == null) return gpa;
        long table = eptp & eptAddressMask;
        for (int level = 4; level >= 1; level--) {
            long slot = table + Ept.index(gpa, level) * 8L;
            long e = eptTables.read64(slot);
            steps.add(new Step("ept", EPT_LEVELS[level], slot, e, 1));
            if ((e & 7) == 0) return fault(String.format("EPT violation at gpa %#x (%s not present)", gpa, EPT_LEVELS[level]));
            if (level == 1 || level <= 3 && (e & Ept.LARGE) != 0) {
                long size = Ept.pageSize(level);
                return (e & eptAddressMask & ~(size - 1)) | (gpa & (size - 1));
            }
            table = e & eptAddressMask;
        }
        return -1;
    }
}
