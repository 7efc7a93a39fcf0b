// Experiment (e): a VPID-tagged TLB against flushing on every VM switch.
//   ./trapdoor run scripts/experiments/tagged-tlb.groovy [--switches N] [--out DIR]
//
// Two guests take turns on one processor (one Tlb, 64 entries, 4-way), each with its own EPT and
// guest page tables mapping the same linear addresses to different host memory. Per turn a guest
// reads random addresses in its working set. Tagged: VM entry sets the guest's VPID and the
// entries of both guests coexist (SDM Vol. 3C, 29.1). Untagged: VPID 0, and VMX then requires
// the TLB to be flushed on every entry and exit (29.4.3.3), so each turn starts cold. Figures:
// TLB hit rate, walks and paging-structure references (each a 2-level guest walk over 4-level
// EPT: 14 references) per access.
//
// NOTE: this drives memory.paging (GuestPageWalker, EptWalker, Tlb, Mmu) directly; those classes
// are not yet wired into the interpreter's own MMU (cpu/Mmu), whose translation cache is untagged.
import dev.trapdoor.experiment.*
import dev.trapdoor.memory.PhysicalMemory
import dev.trapdoor.memory.paging.*
import groovy.transform.CompileStatic

def outDir = new File(opt('out', new File(System.getProperty('trapdoor.home', '.'), 'build/experiments').path))
int switches = opt('switches', 400)

class Guests {
    static final long PD = 0x1000, PT = 0x2000, DATA = 0x10000, LA = 0x0040_0000L

    /** Guest k's RAM is at host (k+1)*16 MiB; its tables map LA.. to DATA.. for pages pages. */
    @CompileStatic
    static EptWalker build(PhysicalMemory mem, Ept ept, int k, int pages) {
        long host = (16L << 20) * (k + 1)
        ept.map(0, host, 4L << 20, Ept.RWX, Ept.PAGE_4K)
        mem.write32(host + PD + 4, (int) (PT | 0x67))
        for (int i = 0; i < pages; i++) mem.write32(host + PT + i * 4L, (int) (DATA + i * 0x1000L | 0x67))
        return new EptWalker(ept)
    }

    /** Returns [accesses, hits, misses, references]. */
    @CompileStatic
    static long[] run(PhysicalMemory mem, EptWalker[] s2, int pages, int quantum, int switches, boolean tagged, long seed) {
        GuestPageWalker walker = new GuestPageWalker(mem, s2[0])
        Mmu mmu = new Mmu(walker, new Tlb(64, 4))
        long refs = 0, accesses = 0, state = seed
        for (int turn = 0; turn < switches; turn++) {
            int k = turn & 1
            walker.stageTwo(s2[k])                       // VM entry into guest k
            walker.controlRegisters(GuestPageWalker.CR0_PG | 1, PD, 0, 0)
            if (tagged) mmu.vpid(k + 1)
            else mmu.tlb().flushAll()
            for (int a = 0; a < quantum; a++) {
                state = state * 6364136223846793005L + 1442695040888963407L
                long la = LA + ((state >>> 33) % pages) * 0x1000L + 0x10
                long before = walker.walks()
                long hpa = mmu.translate(la, StageTwo.READ, false)
                if (hpa != (16L << 20) * (k + 1) + DATA + (la - LA)) throw new IllegalStateException("guest $k got ${Long.toHexString(hpa)} for ${Long.toHexString(la)}")
                if (walker.walks() != before) refs += walker.result().references
                accesses++
            }
        }
        Tlb t = mmu.tlb()
        return [accesses, t.hits(), t.misses(), refs] as long[]
    }
}

def results = Sweep.over([
        pages_per_guest: [8, 16, 32, 64, 128],
        quantum        : [64, 1024],
        vpid           : ['tagged', 'flush'],
]).label('tagged-tlb').run { p ->
    def mem = new PhysicalMemory()
    Ept[] epts = [new Ept(), new Ept()] as Ept[]
    try {
        mem.addRam('host', 0, 64L << 20)
        int pages = p.getInt('pages_per_guest')
        EptWalker[] s2 = [Guests.build(mem, epts[0], 0, pages), Guests.build(mem, epts[1], 1, pages)] as EptWalker[]
        long[] m = Guests.run(mem, s2, pages, p.getInt('quantum'), switches, p.vpid == 'tagged', p.seed())
        [accesses       : m[0],
         tlb_hit_rate   : m[1] / (double) (m[1] + m[2]),
         misses         : m[2],
         refs_per_access: m[3] / (double) m[0]]
    } finally {
        mem.close()
        epts.each { it.close() }
    }
}

out results.toString()
out String.format('%6s %8s %-7s %9s %8s %10s', 'pages', 'quantum', 'vpid', 'TLB hit', 'misses', 'refs/acc')
results.ok().rows().each { r ->
    out String.format('%6d %8d %-7s %8.1f%% %8d %10.3f', r.pages_per_guest, r.quantum, r.vpid, 100 * r.tlb_hit_rate, r.misses, r.refs_per_access)
}
def csv = results.writeCsv(new File(outDir, 'tagged-tlb.csv'))
def png = Plots.sweep(results.ok().where { it.get('quantum') == 64 }, 'pages_per_guest', 'tlb_hit_rate', 'vpid')
        .png(new File(outDir, 'tagged-tlb.png'))
out "wrote ${csv} and ${png} (the plot: 64 accesses per turn)"
exit(results.failures().size() == 0 ? 0 : 1)
