package dev.trapdoor.cpu;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.memory.Region;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Segmented and linear memory access. Every access goes segment:offset -> linear (limit and
 * rights checks, SDM Vol. 3A, 5.3) -> physical through {@link #translate} (the paging seam:
 * 32-bit two-level paging with 4 MiB pages when CR4.PSE, SDM Vol. 3A, 4.3) -> RAM through a
 * small software TLB that caches the host segment of the page. MMIO and unassigned space go
 * through {@link PhysicalMemory#read}/{@link PhysicalMemory#write}. Writes to pages holding
 * decoded code take the slow path so that the block cache hears about them.
 */
abstract class Mmu extends LazyFlags {
    static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final int ACC_READ = 0, ACC_WRITE = 1, ACC_FETCH = 2;
    private static final int TLB_SIZE = 256;

    final PhysicalMemory memory;
    private final int[] readTag = new int[TLB_SIZE];
    private final int[] writeTag = new int[TLB_SIZE];
    private final MemorySegment[] tlbHost = new MemorySegment[TLB_SIZE];
    private final long[] tlbOffset = new long[TLB_SIZE];
    private final long[] tlbPhys = new long[TLB_SIZE];

    int faultVector, faultError;
    /** The debug conditions in force (DebugUnit), null when none: the only debug state the slow paths look at. */
    DebugUnit debug;
    /** The host's debug stops changed: the run loop rebuilds {@link #debug} before its next block. */
    volatile boolean debugDirty;
    /** Linear address of the last #PF (goes to CR2 on delivery, to the exit qualification on an exit). */
    int faultAddress;

    Mmu(PhysicalMemory memory) {
        this.memory = memory;
        flushTlb();
    }

    final void flushTlb() {
        translationEpoch++;
        java.util.Arrays.fill(readTag, -1);
        java.util.Arrays.fill(writeTag, -1);
    }

    final void flushWriteTlb() {
        java.util.Arrays.fill(writeTag, -1);
    }

    // ---- faults

    final RuntimeException fault(int vector, int error) {
        faultVector = vector;
        faultError = error;
        return CpuFault.SIGNAL;
    }

    final RuntimeException gp(int error) { return fault(13, error); }
    final RuntimeException ud() { return fault(6, -1); }

    // ---- segment checks

    /** Linear address of seg:off for an access of size bytes, checking limit and rights. */
    final int linear(int s, int off, int size, int access) {
        if ((off & 0xffffffffL) + size - 1 > segCheckLimit[s] || (segRights[s] & (access == ACC_WRITE ? 2 : 1)) == 0) {
            slowSegmentCheck(s, off, size, access);
        }
        return segBase[s] + off;
    }

    private void slowSegmentCheck(int s, int off, int size, int access) {
        int err = 0;
        int vector = s == SS ? 12 : 13;
        int need = access == ACC_WRITE ? 2 : 1;
        if ((segRights[s] & need) == 0) throw fault(vector == 12 && segRights[s] != 0 ? 12 : 13, err);
        long first = off & 0xffffffffL, last = first + size - 1;
        if (segCheckLimit[s] == -1) {
            // Expand-down: valid offsets are limit+1 .. 0xffff or 0xffffffff by the B bit (SDM Vol. 3A, 3.4.5.1).
            long upper = (segAccess[s] & (1 << 14)) != 0 ? 0xffffffffL : 0xffffL;
            if (first > segLimit[s] && last <= upper) return;
        }
        throw fault(vector, err);
    }

    // ---- segmented access

    final int read8(int s, int off) { return readLin8(linear(s, off, 1, ACC_READ)); }
    final int read16(int s, int off) { return readLin16(linear(s, off, 2, ACC_READ)); }
    final int read32(int s, int off) { return readLin32(linear(s, off, 4, ACC_READ)); }

    final int read(int s, int off, int size) {
        return switch (size) {
            case 1 -> read8(s, off);
            case 2 -> read16(s, off);
            default -> read32(s, off);
        };
    }

    final void write8(int s, int off, int v) { writeLin8(linear(s, off, 1, ACC_WRITE), v); }
    final void write16(int s, int off, int v) { writeLin16(linear(s, off, 2, ACC_WRITE), v); }
    final void write32(int s, int off, int v) { writeLin32(linear(s, off, 4, ACC_WRITE), v); }

    final void write(int s, int off, int size, int v) {
        switch (size) {
            case 1 -> write8(s, off, v);
            case 2 -> write16(s, off, v);
            default -> write32(s, off, v);
        }
    }

    /** Checks that seg:off..+size may be written without writing (for instructions that must not fault halfway). */
    final void probeWrite(int s, int off, int size) {
        int lin = linear(s, off, size, ACC_WRITE);
        translate(lin, ACC_WRITE);
        if (((lin & 0xfff) + size - 1) > 0xfff) translate(lin + size - 1, ACC_WRITE);
    }

    // ---- linear access through the TLB

    final int readLin8(int lin) {
        int page = lin >>> 12, i = page & (TLB_SIZE - 1);
        if (readTag[i] == page) return tlbHost[i].get(U8, tlbOffset[i] + (lin & 0xfff)) & 0xff;
        return (int) readSlow(lin, 1);
    }

    final int readLin16(int lin) {
        int page = lin >>> 12, i = page & (TLB_SIZE - 1);
        if (readTag[i] == page && (lin & 0xfff) <= 0xffe) return tlbHost[i].get(U16, tlbOffset[i] + (lin & 0xfff)) & 0xffff;
        return (int) readSlow(lin, 2);
    }

    final int readLin32(int lin) {
        int page = lin >>> 12, i = page & (TLB_SIZE - 1);
        if (readTag[i] == page && (lin & 0xfff) <= 0xffc) return tlbHost[i].get(U32, tlbOffset[i] + (lin & 0xfff));
        return (int) readSlow(lin, 4);
    }

    final void writeLin8(int lin, int v) {
        int page = lin >>> 12, i = page & (TLB_SIZE - 1);
        if (writeTag[i] == page) tlbHost[i].set(U8, tlbOffset[i] + (lin & 0xfff), (byte) v);
        else writeSlow(lin, 1, v);
    }

    final void writeLin16(int lin, int v) {
        int page = lin >>> 12, i = page & (TLB_SIZE - 1);
        if (writeTag[i] == page && (lin & 0xfff) <= 0xffe) tlbHost[i].set(U16, tlbOffset[i] + (lin & 0xfff), (short) v);
        else writeSlow(lin, 2, v);
    }

    final void writeLin32(int lin, int v) {
        int page = lin >>> 12, i = page & (TLB_SIZE - 1);
        if (writeTag[i] == page && (lin & 0xfff) <= 0xffc) tlbHost[i].set(U32, tlbOffset[i] + (lin & 0xfff), v);
        else writeSlow(lin, 4, v);
    }

    private long readSlow(int lin, int size) {
        if ((lin & 0xfff) + size > 0x1000) {
            long v = 0;
            for (int k = 0; k < size; k++) v |= (long) readLin8(lin + k) << (8 * k);
            return v;
        }
        long phys = translate(lin, ACC_READ);
        Region r = memory.regionAt(phys);
        MemorySegment host = r instanceof Region.Ram ram ? ram.host() : r instanceof Region.Rom rom ? rom.host() : null;
        DebugUnit d = debug;
        if (host != null && (d == null || !d.watchesPage(lin, phys))) {
            int page = lin >>> 12, i = page & (TLB_SIZE - 1);
            if (writeTag[i] != page) writeTag[i] = -1;
            readTag[i] = page;
            tlbHost[i] = host;
            tlbOffset[i] = (phys & ~0xfffL) - r.base();
            tlbPhys[i] = phys & ~0xfffL;
        }
        long v = memory.read(phys, size);
        if (d != null && d.access(lin, phys, size, false, v)) debugHit();
        return v;
    }

    private void writeSlow(int lin, int size, int v) {
        if ((lin & 0xfff) + size > 0x1000) {
            // Check both pages before writing either, so a fault leaves memory unchanged.
            translate(lin, ACC_WRITE);
            translate(lin + size - 1, ACC_WRITE);
            for (int k = 0; k < size; k++) writeLin8(lin + k, v >>> (8 * k));
            return;
        }
        long phys = translate(lin, ACC_WRITE);
        Region r = memory.regionAt(phys);
        DebugUnit d = debug;
        if (r instanceof Region.Ram ram && !memory.isCodePage(phys) && (d == null || !d.watchesPage(lin, phys))) {
            int page = lin >>> 12, i = page & (TLB_SIZE - 1);
            readTag[i] = page;
            writeTag[i] = page;
            tlbHost[i] = ram.host();
            tlbOffset[i] = (phys & ~0xfffL) - r.base();
            tlbPhys[i] = phys & ~0xfffL;
        }
        memory.write(phys, size, v & 0xffffffffL);
        if (d != null && d.access(lin, phys, size, true, v & 0xffffffffL)) debugHit();
    }

    /** A data access matched a debug condition: the run loop reports it once the instruction completes. */
    abstract void debugHit();

    /** Physical address of an instruction fetch: a TLB hit when the page was read before (32-bit paging grants execute with read). */
    final long translateFetch(int lin) {
        int page = lin >>> 12, i = page & (TLB_SIZE - 1);
        if (readTag[i] == page) return tlbPhys[i] | (lin & 0xfff);
        long phys = translate(lin, ACC_FETCH);
        // Fills the TLB entry for RAM and ROM pages; a watched page stays out (and a fetch is no data access).
        if (debug == null || !debug.watchesPage(lin, phys)) readSlow(lin & ~0xfff, 1);
        return phys;
    }

    // ---- paging

    /** Linear to physical. With CR0.PG clear the identity; otherwise a walk that may raise #PF. */
    final long translate(int lin, int access) {
        if ((cr0 & CR0_PG) == 0) return lin & 0xffffffffL;
        return walk(lin, access);
    }

    /** 32-bit paging (SDM Vol. 3A, 4.3 and 4.6): two levels, 4 MiB pages with CR4.PSE; sets A and D. */
    private long walk(int lin, int access) {
        boolean write = access == ACC_WRITE, user = cpl == 3;
        long pdeAddr = (cr3 & 0xfffff000L) | ((lin >>> 22) << 2);
        int pde = memory.read32(pdeAddr);
        if ((pde & 1) == 0) throw pageFault(lin, false, write, user, access);
        boolean big = (pde & 0x80) != 0 && (cr4 & CR4_PSE) != 0;
        if (big) {
            checkRights(pde, pde, lin, write, user, access);
            int upd = pde | 0x20 | (write ? 0x40 : 0);
            if (upd != pde) memory.write32(pdeAddr, upd);
            return (pde & 0xffc00000L) | (lin & 0x3fffff);
        }
        long pteAddr = (pde & 0xfffff000L) | (((lin >>> 12) & 0x3ff) << 2);
        int pte = memory.read32(pteAddr);
        if ((pte & 1) == 0) throw pageFault(lin, false, write, user, access);
        checkRights(pde, pte, lin, write, user, access);
        if ((pde & 0x20) == 0) memory.write32(pdeAddr, pde | 0x20);
        int upd = pte | 0x20 | (write ? 0x40 : 0);
        if (upd != pte) memory.write32(pteAddr, upd);
        return (pte & 0xfffff000L) | (lin & 0xfff);
    }

    private void checkRights(int pde, int pte, int lin, boolean write, boolean user, int access) {
        boolean userOk = (pde & pte & 4) != 0, writable = (pde & pte & 2) != 0;
        if (user && !userOk) throw pageFault(lin, true, write, true, access);
        if (write && !writable && (user || (cr0 & CR0_WP) != 0)) throw pageFault(lin, true, true, user, access);
    }

    /** #PF error code: P, W/R, U/S (SDM Vol. 3A, 4.7). */
    private RuntimeException pageFault(int lin, boolean present, boolean write, boolean user, int access) {
        faultAddress = lin;
        return fault(14, (present ? 1 : 0) | (write ? 2 : 0) | (user ? 4 : 0));
    }
}
