package dev.trapdoor.cpu;

import dev.trapdoor.memory.PhysicalMemory;
import dev.trapdoor.memory.Region;
import dev.trapdoor.memory.paging.EptResult;
import dev.trapdoor.memory.paging.EptWalker;
import dev.trapdoor.memory.paging.GuestPageWalker;
import dev.trapdoor.memory.paging.HostPages;
import dev.trapdoor.memory.paging.StageTwo;
import dev.trapdoor.memory.paging.Tlb;
import dev.trapdoor.memory.paging.WalkResult;
import dev.trapdoor.vmx.EptQualification;
import dev.trapdoor.vmx.ExitInfo;
import dev.trapdoor.vmx.ExitReason;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Segmented and linear memory access. Every access goes segment:offset -> linear (limit and
 * rights checks, SDM Vol. 3A, 5.3) -> host-physical through {@link #translate}: the guest's paging
 * (32-bit with PSE, or PAE with execute-disable and global pages, SDM Vol. 3A, 4.3-4.4) walked by
 * {@link GuestPageWalker}, each guest-physical reference through EPT when the VMCS enables it
 * ({@link EptWalker}, SDM Vol. 3C, 29.3). A software TLB per VPID ({@link TlbContext}) caches the
 * combined translation as the host segment of the page; a hit costs a tag compare and nothing
 * else. MMIO and unassigned space go through {@link PhysicalMemory#read}/{@link PhysicalMemory#write}.
 * Writes to pages holding decoded code take the slow path so that the block cache hears about them.
 */
abstract class Mmu extends LazyFlags {
    static final ValueLayout.OfByte U8 = ValueLayout.JAVA_BYTE;
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    static final int ACC_READ = 0, ACC_WRITE = 1, ACC_FETCH = 2;
    /** The pseudo vector of an EPT violation or misconfiguration: it ends the instruction in an exit, never a guest event. */
    static final int EPT_EXIT = 256;
    static final int CR4_PAE = 1 << 5, CR4_PGE = 1 << 7;
    static final long EFER_NXE = 1L << 11;
    private static final int TLB_SIZE = TlbContext.SIZE;
    private static final int MAX_CONTEXTS = 16;
    /** Tags that never match: the fast path's view while hits are being counted, so that every access reaches the counting slow path. */
    private static final int[] NEVER = new int[TLB_SIZE];
    static {
        java.util.Arrays.fill(NEVER, -1);
    }
    private static final int ALL_RIGHTS = Tlb.USER | Tlb.WRITABLE | Tlb.DIRTY | Tlb.EPT_R | Tlb.EPT_W | Tlb.EPT_X;

    final PhysicalMemory memory;
    /** The guest's paging, over {@link #eptWalker} or the identity. */
    final GuestPageWalker walker;
    private final StageTwo identity = StageTwo.identity();
    private EptWalker eptWalker;
    private HostPages eptTables;
    /** EPT is on for this entry: every guest-physical access goes through {@link #eptWalker}. */
    boolean eptActive;

    private final TlbContext[] contexts = new TlbContext[MAX_CONTEXTS];
    private TlbContext tlb;
    private long entries;
    // The fast path's view of the current context (tags are NEVER while counting).
    private int[] readTag, writeTag, fetchTag;
    private MemorySegment[] tlbHost;
    private long[] tlbOffset;
    private long[] tlbPhys;
    private boolean counting;
    private int lastRights;
    long tlbHits, tlbMisses, walks, walkReferences, guestReferences, eptReferences, tlbFlushes, eptExits;

    int faultVector, faultError;
    /** The debug conditions in force (DebugUnit), null when none: the only debug state the slow paths look at. */
    DebugUnit debug;
    /** The host's debug stops changed: the run loop rebuilds {@link #debug} before its next block. */
    volatile boolean debugDirty;
    /** Linear address of the last #PF (goes to CR2 on delivery, to the exit qualification on an exit). */
    int faultAddress;
    // The EPT exit behind the last EPT_EXIT fault (SDM Vol. 3C, 28.2.1).
    private ExitReason eptExitReason;
    private long eptQualification, eptGuestPhysical, eptGuestLinear;

    Mmu(PhysicalMemory memory) {
        this.memory = memory;
        this.walker = new GuestPageWalker(memory, identity);
        useContext(context(0));
    }

    /** Everything in the current VPID's TLB, global entries too. */
    final void flushTlb() {
        translationEpoch++;
        tlbFlushes++;
        tlb.flush();
    }

    /** Every context (all VPIDs): a debugger's watched pages must leave all of them. */
    final void flushAllContexts() {
        translationEpoch++;
        tlbFlushes++;
        for (TlbContext c : contexts) if (c != null) c.flush();
    }

    /** MOV to CR3 and task switches: global entries stay when CR4.PGE is set (SDM Vol. 3A, 4.10.4.1). */
    final void flushTlbNonGlobal() {
        translationEpoch++;
        tlbFlushes++;
        if ((cr4 & CR4_PGE) != 0) tlb.flushNonGlobal();
        else tlb.flush();
    }

    /** INVLPG: the page holding lin, global or not (all of a context that caches pieces of large pages). */
    final void invalidatePage(int lin) {
        translationEpoch++;
        tlbFlushes++;
        if (tlb.largePages) tlb.flush();
        else tlb.flushPage(lin >>> 12);
    }

    final void flushWriteTlb() {
        java.util.Arrays.fill(tlb.writeTag, -1);
    }

    // ---- VPID contexts, EPT, counters

    private TlbContext context(int vpid) {
        TlbContext oldest = null;
        int free = -1;
        for (int k = 0; k < MAX_CONTEXTS; k++) {
            TlbContext t = contexts[k];
            if (t == null) {
                if (free < 0) free = k;
            } else if (t.vpid == vpid) {
                return t;
            } else if (t.vpid != 0 && (oldest == null || t.lastUse < oldest.lastUse)) {
                oldest = t;
            }
        }
        TlbContext t = new TlbContext(vpid);
        if (free >= 0) {
            contexts[free] = t;
        } else {
            for (int k = 0; k < MAX_CONTEXTS; k++) if (contexts[k] == oldest) contexts[k] = t; // recycling drops its translations
        }
        return t;
    }

    private void useContext(TlbContext t) {
        tlb = t;
        tlbHost = t.host;
        tlbOffset = t.offset;
        tlbPhys = t.phys;
        readTag = counting ? NEVER : t.readTag;
        writeTag = counting ? NEVER : t.writeTag;
        fetchTag = counting ? NEVER : t.fetchTag;
    }

    /**
     * VM entry's translation state (SDM Vol. 3C, 29.4.3): the TLB of vpid (0 when VPIDs are off,
     * whose translations VM entry and exit then invalidate), and EPT on or off. Combined
     * translations are tagged by the EPT pointer too: another EPTP under the same VPID starts empty.
     */
    final void enterTranslation(int vpid, boolean ept, long eptp) {
        eptActive = ept;
        walker.stageTwo(ept ? eptWalker : identity);
        if (ept) eptWalker.eptp(eptp);
        TlbContext t = context(vpid);
        t.lastUse = ++entries;
        long tag = ept ? eptp : -1;
        if (vpid == 0 || t.eptp != tag) {
            t.flush();
            tlbFlushes++;
        }
        t.eptp = tag;
        if (t != tlb) {
            useContext(t);
            translationEpoch++;
        }
    }

    /** The host pages that EPT pointers name (the VM's EPT tables); null detaches them. */
    final void eptTables(HostPages pages, int maxPhysAddr) {
        // Another pool's tables may sit at the same addresses: EPT pointers no longer tell their translations apart.
        if (pages != eptTables) invept();
        eptTables = pages;
        eptWalker = pages == null ? null : new EptWalker(pages, maxPhysAddr, true);
        if (pages == null && eptActive) {
            eptActive = false;
            walker.stageTwo(identity);
        }
    }

    final boolean hasEptTables() {
        return eptWalker != null;
    }

    final EptWalker eptWalker() {
        return eptWalker;
    }

    final HostPages eptTables() {
        return eptTables;
    }

    /** INVEPT (all-context here): combined translations of every VPID go (SDM Vol. 3C, 29.4.3.1). */
    final void invept() {
        for (TlbContext t : contexts) if (t != null) t.flush();
        translationEpoch++;
        tlbFlushes++;
    }

    /** INVVPID single-context: the translations tagged with vpid. */
    final void invvpid(int vpid) {
        for (TlbContext t : contexts) if (t != null && t.vpid == (vpid & 0xffff)) t.flush();
        translationEpoch++;
        tlbFlushes++;
    }

    /** Counting hits routes every access through the slow path; off, hits stay as they are and cost nothing. */
    final void tlbCounting(boolean on) {
        counting = on;
        useContext(tlb);
    }

    final TlbCounters tlbCounters() {
        return new TlbCounters(tlbHits, tlbMisses, walks, walkReferences, guestReferences, eptReferences, tlbFlushes, eptExits, counting);
    }

    final void resetTlbCounters() {
        tlbHits = tlbMisses = walks = walkReferences = guestReferences = eptReferences = tlbFlushes = eptExits = 0;
    }

    final int tlbValidEntries() {
        return tlb.validEntries();
    }

    final int tlbVpid() {
        return tlb.vpid;
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

    // The slow paths look in the context's own tags first: they match only while counting, when the fast view never does.

    private long readSlow(int lin, int size) {
        if ((lin & 0xfff) + size > 0x1000) {
            long v = 0;
            for (int k = 0; k < size; k++) v |= (long) readLin8(lin + k) << (8 * k);
            return v;
        }
        DebugUnit d = debug;
        int page = lin >>> 12, i = page & (TLB_SIZE - 1);
        TlbContext t = tlb;
        long phys;
        if (t.readTag[i] == page) {
            tlbHits++;
            phys = t.phys[i] | (lin & 0xfff);
        } else {
            phys = fill(lin, ACC_READ);
        }
        long v = deviceRead(lin, phys, size);
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
        DebugUnit d = debug;
        int page = lin >>> 12, i = page & (TLB_SIZE - 1);
        TlbContext t = tlb;
        long phys;
        if (t.writeTag[i] == page) {
            tlbHits++;
            phys = t.phys[i] | (lin & 0xfff);
        } else {
            phys = fill(lin, ACC_WRITE);
        }
        deviceWrite(lin, phys, size, v & 0xffffffffL);
        if (d != null && d.access(lin, phys, size, true, v & 0xffffffffL)) debugHit();
    }

    /** A data access matched a debug condition: the run loop reports it once the instruction completes. */
    abstract void debugHit();

    /** Physical address of an instruction fetch: a TLB hit when the page was fetched or read before and may be executed. */
    final long translateFetch(int lin) {
        int page = lin >>> 12, i = page & (TLB_SIZE - 1);
        if (fetchTag[i] == page) return tlbPhys[i] | (lin & 0xfff);
        TlbContext t = tlb;
        if (t.fetchTag[i] == page) {
            tlbHits++;
            return t.phys[i] | (lin & 0xfff);
        }
        return fill(lin, ACC_FETCH);
    }

    /**
     * A TLB miss: the walk, then the entry for a RAM or ROM page with the tags the walk's rights
     * allow (write only after a write walk, which set the dirty flags; never for pages holding
     * decoded code). MMIO and unassigned pages are not cached.
     */
    private long fill(int lin, int access) {
        long phys = translate(lin, access);
        tlbMisses++;
        Region r = memory.regionAt(phys);
        MemorySegment host = r instanceof Region.Ram ram ? ram.host() : r instanceof Region.Rom rom ? rom.host() : null;
        if (host == null) return phys;
        DebugUnit d = debug;
        if (d != null && d.watchesPage(lin, phys)) return phys; // a watched page stays out: its accesses reach the checks
        int page = lin >>> 12, i = page & (TLB_SIZE - 1);
        TlbContext t = tlb;
        long frame = phys & ~0xfffL;
        boolean same = (t.readTag[i] == page || t.writeTag[i] == page || t.fetchTag[i] == page) && t.phys[i] == frame;
        if (!same) {
            t.readTag[i] = -1;
            t.writeTag[i] = -1;
            t.fetchTag[i] = -1;
        }
        int rights = lastRights;
        t.host[i] = host;
        t.offset[i] = frame - r.base();
        t.phys[i] = frame;
        t.global[i] = (rights & Tlb.GLOBAL) != 0;
        if ((rights & LARGE) != 0) t.largePages = true;
        if ((rights & Tlb.EPT_R) != 0) t.readTag[i] = page;
        if ((rights & (Tlb.NO_EXECUTE | Tlb.EPT_X)) == Tlb.EPT_X) t.fetchTag[i] = page;
        if (access == ACC_WRITE && r instanceof Region.Ram && !memory.isCodePage(phys)) t.writeTag[i] = page;
        return phys;
    }

    /** Marks a fill from a walk that ended in a page larger than 4 KiB (in {@link #lastRights}, beside Tlb's bits). */
    private static final int LARGE = 1 << 16;

    // ---- paging

    /** Linear to host-physical. With CR0.PG and EPT off the identity; otherwise a walk that may raise #PF or end in an EPT exit. */
    final long translate(int lin, int access) {
        if ((cr0 & CR0_PG) == 0 && !eptActive) {
            lastRights = ALL_RIGHTS;
            return lin & 0xffffffffL;
        }
        return walk(lin, access);
    }

    final boolean paePaging() {
        return (cr0 & CR0_PG) != 0 && (cr4 & CR4_PAE) != 0;
    }

    final void syncWalker() {
        walker.controlRegisters(cr0 & 0xffffffffL, cr3 & 0xffffffffL, cr4 & 0xffffffffL, efer);
    }

    private long walk(int lin, int access) {
        syncWalker();
        long guestBefore = walker.references();
        boolean ok = walker.translate(lin & 0xffffffffL, 1 << access, cpl == 3); // ACC_* -> StageTwo.READ/WRITE/FETCH
        WalkResult r = walker.result();
        long guest = walker.references() - guestBefore;
        walks++;
        walkReferences += r.references;
        guestReferences += guest;
        eptReferences += r.references - guest;
        if (!ok) return walkFailed(r, lin, true);
        lastRights = r.rights | (r.pageSize > 4096 ? LARGE : 0);
        return r.hostPhysical;
    }

    /**
     * Loads the PAE PDPTE registers from the table CR3 names (SDM Vol. 3A, 4.4.1): #GP(0) when a
     * present one has reserved bits set, an EPT exit when the table's guest-physical address fails.
     */
    final void loadPdptes() {
        syncWalker();
        if (!walker.loadPdptes()) walkFailed(walker.result(), 0, false);
    }

    /** The guest fault or EPT exit of a failed walk (thrown); an unbacked device page is the device's (its address returned). */
    private long walkFailed(WalkResult r, int lin, boolean linearValid) {
        switch (r.status) {
            case WalkResult.PAGE_FAULT -> {
                faultAddress = lin;
                throw fault(14, r.errorCode);
            }
            case WalkResult.GENERAL_PROTECTION -> throw gp(0);
            default -> {
                EptResult e = r.ept;
                // MMIO stays as it is without EPT: a data access to a device page that EPT leaves unmapped goes to the device,
                // as the runtime's default EPT-violation handler would send it (the exit round trip is not modelled).
                if (r.status == WalkResult.EPT_VIOLATION && (e.qualification & EptQualification.TRANSLATED_ACCESS) != 0
                        && e.permissions == 0 && memory.regionAt(r.guestPhysical) instanceof Region.Mmio) {
                    lastRights = 0;
                    return r.guestPhysical;
                }
                eptExitReason = r.status == WalkResult.EPT_VIOLATION ? ExitReason.EPT_VIOLATION : ExitReason.EPT_MISCONFIG;
                eptQualification = eptExitReason == ExitReason.EPT_VIOLATION ? e.qualification : 0;
                eptGuestPhysical = r.guestPhysical;
                eptGuestLinear = linearValid ? lin & 0xffffffffL : 0;
                eptExits++;
                throw fault(EPT_EXIT, 0);
            }
        }
    }

    /** Fills exit for the EPT violation or misconfiguration behind the last EPT_EXIT fault (SDM Vol. 3C, 28.2.1). */
    final void fillEptExit(ExitInfo exit) {
        if (mmioPending) {
            // An MMIO access: KVM's contract, data in the exit's buffer (the value of a write, room for a read's).
            exit.mmio(eptGuestPhysical, mmioPendingSize, mmioPendingWrite, eptGuestLinear, true);
            exit.data = mmioData;
            mmioData.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, mmioPendingWrite ? mmioPendingValue : 0);
            return;
        }
        exit.reset(eptExitReason);
        exit.qualification = eptQualification;
        exit.guestPhysical = eptGuestPhysical;
        exit.guestLinear = eptGuestLinear;
    }

    // ---- MMIO as EPT violations (the device pages the EPT leaves unmapped), as on KVM

    /**
     * Device accesses exit as EPT violations (KVM's behaviour, and what the VMCS says: the page is
     * not in the EPT); false sends them straight to the device bus, without the exit.
     */
    boolean mmioExits = true;
    private static final int MMIO_LOG = 8;
    /** The data of an MMIO exit (8 bytes, little-endian), as kvm_run's mmio.data. */
    final MemorySegment mmioData = MemorySegment.ofArray(new long[1]);
    // The MMIO accesses the current instruction already made through exits, replayed in order when it runs again
    // (an instruction restarts after each exit, as after an EPT violation): reads return the device's data, writes
    // are not repeated. Cleared when the instruction, or one iteration of a REP string instruction, completes.
    private final long[] logGpa = new long[MMIO_LOG], logData = new long[MMIO_LOG];
    private final int[] logSize = new int[MMIO_LOG];
    private final boolean[] logWrite = new boolean[MMIO_LOG];
    int mmioLogged, mmioReplayed;
    boolean mmioPending;
    private int mmioPendingSize;
    private boolean mmioPendingWrite;
    private long mmioPendingValue;

    private boolean exitsForDevice(long phys) {
        return mmioExits && mmioLogged < MMIO_LOG && memory.regionAt(phys) instanceof Region.Mmio;
    }

    private long deviceRead(int lin, long phys, int size) {
        if (!exitsForDevice(phys)) return memory.read(phys, size);
        if (mmioReplayed < mmioLogged) {
            int k = mmioReplayed++;
            if (!logWrite[k] && logGpa[k] == phys && logSize[k] == size) return logData[k];
            mmioLogged = mmioReplayed = 0; // the instruction took another way: its accesses start over
        }
        throw mmioExit(lin, phys, size, false, 0);
    }

    private void deviceWrite(int lin, long phys, int size, long v) {
        if (!exitsForDevice(phys)) {
            memory.write(phys, size, v);
            return;
        }
        if (mmioReplayed < mmioLogged) {
            int k = mmioReplayed++;
            if (logWrite[k] && logGpa[k] == phys && logSize[k] == size && logData[k] == v) return;
            mmioLogged = mmioReplayed = 0;
        }
        throw mmioExit(lin, phys, size, true, v);
    }

    private RuntimeException mmioExit(int lin, long phys, int size, boolean write, long v) {
        mmioPending = true;
        mmioPendingSize = size;
        mmioPendingWrite = write;
        mmioPendingValue = v;
        eptExitReason = ExitReason.EPT_VIOLATION;
        eptGuestPhysical = phys;
        eptGuestLinear = lin & 0xffffffffL;
        eptExits++;
        return fault(EPT_EXIT, 0);
    }

    /** At the next entry after an MMIO exit: the access is done (a read's data came back in the buffer); log it. */
    final void mmioCompleted() {
        if (!mmioPending) return;
        mmioPending = false;
        int k = mmioLogged++;
        logGpa[k] = eptGuestPhysical;
        logSize[k] = mmioPendingSize;
        logWrite[k] = mmioPendingWrite;
        logData[k] = mmioPendingWrite ? mmioPendingValue
                : mmioData.get(ValueLayout.JAVA_LONG_UNALIGNED, 0) & (mmioPendingSize == 8 ? -1L : (1L << (8 * mmioPendingSize)) - 1);
        mmioReplayed = 0;
    }

    void saveMmio(dev.trapdoor.snapshot.StateWriter out) {
        out.bool(mmioExits).bool(mmioPending).i32(mmioPendingSize).bool(mmioPendingWrite).i64(mmioPendingValue)
                .i64(eptGuestPhysical).i64(eptGuestLinear).i64(mmioData.get(ValueLayout.JAVA_LONG_UNALIGNED, 0));
        out.i32(mmioLogged).i32(mmioReplayed);
        for (int k = 0; k < mmioLogged; k++) out.i64(logGpa[k]).i32(logSize[k]).bool(logWrite[k]).i64(logData[k]);
    }

    void loadMmio(dev.trapdoor.snapshot.StateReader in) {
        mmioExits = in.bool();
        mmioPending = in.bool();
        mmioPendingSize = in.range(0, 8, "MMIO size");
        mmioPendingWrite = in.bool();
        mmioPendingValue = in.i64();
        long gpa = in.i64(), gla = in.i64();
        if (mmioPending) {
            eptExitReason = ExitReason.EPT_VIOLATION;
            eptGuestPhysical = gpa;
            eptGuestLinear = gla;
        }
        mmioData.set(ValueLayout.JAVA_LONG_UNALIGNED, 0, in.i64());
        mmioLogged = in.range(0, MMIO_LOG, "MMIO log length");
        mmioReplayed = in.range(0, mmioLogged, "MMIO log position");
        for (int k = 0; k < mmioLogged; k++) {
            logGpa[k] = in.i64();
            logSize[k] = in.range(1, 8, "MMIO log size");
            logWrite[k] = in.bool();
            logData[k] = in.i64();
        }
    }

    /** The instruction (or a REP iteration) completed: its MMIO accesses are history. */
    final void mmioInstructionDone() {
        mmioLogged = mmioReplayed = 0;
    }
}
