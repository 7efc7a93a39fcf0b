// Experiment (d): two-dimensional page walks: paging-structure references against the page
// sizes of both stages.
//   ./trapdoor run scripts/experiments/two-dimensional-walk.groovy [--accesses N] [--out DIR]
//
// With EPT every guest paging-structure reference is itself a guest-physical address that EPT
// translates, so a TLB miss costs up to (n+1)(m+1)-1 references for n guest levels over m EPT
// levels (SDM Vol. 3C, 29.3; 14 for 32-bit paging over 4-level EPT). Larger pages remove levels
// from either stage. This sweep builds real guest page tables (32-bit paging with 4-KiB or PSE
// 4-MiB pages, PAE with 4-KiB or 2-MiB pages) in a PhysicalMemory, EPT tables with 4-KiB, 2-MiB
// or 1-GiB pages (or no EPT), and translates random addresses in a working set through the
// runtime's memory.paging classes directly: GuestPageWalker over EptWalker, cached by a
// 64-entry 4-way Tlb through memory.paging.Mmu.
//
// NOTE: these paging classes are not yet wired into the interpreter's own MMU (cpu/Mmu): a guest
// running on the interpreter does not walk EPT. The figures are the walker's, not a guest's.
// The Tlb caches 4-KiB pieces of large pages, so page size changes the walk here, not TLB reach.
import dev.trapdoor.experiment.*
import dev.trapdoor.memory.PhysicalMemory
import dev.trapdoor.memory.paging.*
import groovy.transform.CompileStatic

def outDir = new File(opt('out', new File(System.getProperty('trapdoor.home', '.'), 'build/experiments').path))
int accesses = opt('accesses', 200_000)

class Layout {
    static final long GUEST_RAM = 32L << 20
    static final long REGION = 0x0040_0000L  // the working set starts at 4 MiB, linear = guest-physical
}

/** Builds the guest tables for mode over [REGION, REGION+ws) (identity), writing guest-physical gpa at gpa+offset. */
@CompileStatic
static GuestPageWalker guestTables(PhysicalMemory mem, StageTwo s2, long offset, String mode, long ws) {
    def walker = new GuestPageWalker(mem, s2)
    long end = Layout.REGION + ws
    switch (mode) {
        case '32-bit 4K':
            for (long la = Layout.REGION; la < end; la += 0x1000) {
                long pt = 0x100000 + ((la >>> 22) << 12)
                mem.write32(offset + 0x1000 + (la >>> 22) * 4, (int) (pt | 0x67))
                mem.write32(offset + pt + ((la >>> 12) & 0x3ff) * 4, (int) (la | 0x67))
            }
            walker.controlRegisters(GuestPageWalker.CR0_PG | 1, 0x1000, 0, 0)
            break
        case '32-bit 4M':
            for (long la = Layout.REGION; la < end; la += 0x400000) mem.write32(offset + 0x1000 + (la >>> 22) * 4, (int) (la | 0xE7))
            walker.controlRegisters(GuestPageWalker.CR0_PG | 1, 0x1000, GuestPageWalker.CR4_PSE, 0)
            break
        case 'PAE 4K':
            mem.write64(offset + 0x2000, 0x3000 | 1)
            for (long la = Layout.REGION; la < end; la += 0x1000) {
                long pt = 0x200000 + ((la >>> 21) << 12)
                mem.write64(offset + 0x3000 + ((la >>> 21) & 511) * 8, pt | 0x67)
                mem.write64(offset + pt + ((la >>> 12) & 511) * 8, la | 0x67)
            }
            walker.controlRegisters(GuestPageWalker.CR0_PG | 1, 0x2000, GuestPageWalker.CR4_PAE, 0)
            break
        default: // 'PAE 2M'
            mem.write64(offset + 0x2000, 0x3000 | 1)
            for (long la = Layout.REGION; la < end; la += 0x200000) mem.write64(offset + 0x3000 + ((la >>> 21) & 511) * 8, la | 0xE7)
            walker.controlRegisters(GuestPageWalker.CR0_PG | 1, 0x2000, GuestPageWalker.CR4_PAE, 0)
    }
    if (mode.startsWith('PAE') && !walker.loadPdptes()) throw new IllegalStateException('PDPTE load failed: ' + walker.result())
    return walker
}

/** Random reads over the working set; returns [walks, references, hits, misses, coldReferences]. */
@CompileStatic
static long[] measure(GuestPageWalker walker, int accesses, long ws, long seed, long offset) {
    def mmu = new Mmu(walker, new Tlb(64, 4))
    mmu.vpid(1)
    long refs = 0, walks = 0, cold
    // one cold walk first: the TLB is empty
    mmu.translate(Layout.REGION, StageTwo.READ, false)
    cold = walker.result().references
    long state = seed
    for (int i = 0; i < accesses; i++) {
        state = state * 6364136223846793005L + 1442695040888963407L
        long la = Layout.REGION + (((state >>> 33) % ws) & ~7L)
        long before = walker.walks()
        long hpa = mmu.translate(la, StageTwo.READ, false)
        if (hpa == Mmu.FAULT) throw new IllegalStateException('fault at ' + Long.toHexString(la) + ': ' + walker.result())
        if (hpa != la + offset) throw new IllegalStateException('wrong translation of ' + Long.toHexString(la))
        if (walker.walks() != before) { walks++; refs += walker.result().references }
    }
    return [walks, refs, mmu.tlb().hits(), mmu.tlb().misses(), cold] as long[]
}

def guestLevels = ['32-bit 4K': 2, '32-bit 4M': 1, 'PAE 4K': 2, 'PAE 2M': 1]   // PAE's PDPTEs are registers
def eptLevels = ['none': 0, '4K': 4, '2M': 3, '1G': 2]

def results = Sweep.over([
        guest_pages: guestLevels.keySet() as List,
        ept_pages  : eptLevels.keySet() as List,
        working_set_mib: [1, 16],
]).label('2d-walk').run { p ->
    def mem = new PhysicalMemory()
    Ept ept = null
    try {
        mem.addRam('host', 0, 64L << 20)
        String e = p.getString('ept_pages')
        long offset = (e == 'none' || e == '1G') ? 0 : Layout.GUEST_RAM   // 1-GiB EPT pages need a 1-GiB-aligned host address
        StageTwo s2 = StageTwo.identity()
        if (e != 'none') {
            ept = new Ept()
            long page = [ '4K': Ept.PAGE_4K, '2M': Ept.PAGE_2M, '1G': Ept.PAGE_1G ][e]
            ept.map(0, offset, e == '1G' ? Ept.PAGE_1G : Layout.GUEST_RAM, Ept.RWX, page)
            s2 = new EptWalker(ept)
        }
        long ws = p.getLong('working_set_mib') << 20
        def walker = guestTables(mem, s2, offset, p.getString('guest_pages'), ws)
        long[] m = measure(walker, accesses, ws, p.seed(), offset)
        int n = guestLevels[p.guest_pages], l = eptLevels[e]
        [bound_refs_per_walk: l == 0 ? n : (n + 1) * (l + 1) - 1,
         cold_walk_refs     : m[4],
         refs_per_walk      : m[0] == 0 ? 0 : m[1] / (double) m[0],
         refs_per_access    : m[1] / (double) accesses,
         tlb_hit_rate       : m[2] / (double) (m[2] + m[3])]
    } finally {
        mem.close()
        ept?.close()
    }
}

out results.toString()
out String.format('%-10s %-5s %4s %6s %6s %9s %9s %8s', 'guest', 'ept', 'MiB', 'bound', 'cold', 'refs/walk', 'refs/acc', 'TLB hit')
results.ok().rows().each { r ->
    out String.format('%-10s %-5s %4d %6d %6d %9.2f %9.3f %7.1f%%', r.guest_pages, r.ept_pages, r.working_set_mib,
            r.bound_refs_per_walk, r.cold_walk_refs, r.refs_per_walk, r.refs_per_access, 100 * r.tlb_hit_rate)
}
def csv = results.writeCsv(new File(outDir, 'two-dimensional-walk.csv'))
def png = Plots.histogram('paging-structure references per walk (16 MiB working set)',
        results.ok().where { it.get('working_set_mib') == 16 }.rows().collectEntries {
            ["${it.guest_pages} / EPT ${it.ept_pages}".toString(), it.refs_per_walk]
        }).png(new File(outDir, 'two-dimensional-walk.png'))
out "wrote ${csv} and ${png}"
exit(results.failures().size() == 0 ? 0 : 1)
