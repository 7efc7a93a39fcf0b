// Experiment (d): two-dimensional page walks: paging-structure references against the page
// sizes of both stages, measured on a real guest running on the interpreter.
//   ./trapdoor run scripts/experiments/two-dimensional-walk.groovy [--accesses N] [--out DIR]
//
// With EPT every guest paging-structure reference is itself a guest-physical address that EPT
// translates, so a TLB miss costs up to (n+1)(m+1)-1 references for n guest levels over m EPT
// levels (SDM Vol. 3C, 29.3; 14 for 32-bit paging over 4-level EPT). Larger pages remove levels
// from either stage. Each point boots a flat 32-bit guest whose own page tables (32-bit paging
// with 4-KiB or PSE 4-MiB pages, PAE with 4-KiB or 2-MiB pages) map a working set, runs it under
// identity EPT with 4-KiB, 2-MiB or 1-GiB pages (or no EPT: 'none' turns off the VM's default
// identity EPT and "unrestricted guest" with it, which a paged guest does not need), and reads
// the vCPU's TLB counters.
// 'PAE 4K NPT' reads the PDPTE in every walk as AMD's nested paging does (19 references
// over 4-level EPT), where Intel's PDPTE registers make PAE cost what 32-bit paging costs (14).
// The guest makes N pseudo-random 4-byte reads (an LCG in ESI) over the working set. The CPU's
// TLB has 256 direct-mapped 4-KiB entries (1 MiB of reach, large pages cached in 4-KiB pieces)
// and no paging-structure caches, so every miss pays the whole two-dimensional walk.
import dev.trapdoor.experiment.*
import dev.trapdoor.memory.paging.Ept

def outDir = new File(opt('out', new File(System.getProperty('trapdoor.home', '.'), 'build/experiments').path))
int accesses = opt('accesses', 100_000)

final long REGION = 0x0040_0000L   // the working set starts at 4 MiB; linear = guest-physical

/** top: mov ecx,N; l: imul esi,esi,1103515245; add esi,12345; mov eax,esi; shr eax,8; and eax,MASK; mov edx,[eax+BASE]; dec ecx; jnz l; hlt; jmp top */
byte[] loopCode(long n, long mask, long base) {
    byte[] c = 'b94433221169f66d4ec64181c63930000089f0c1e80825887766558b90000040004975e1f4ebd9'.decodeHex()
    [[1, n], [23, mask], [29, base]].each { at, v -> (0..3).each { c[at + it] = (byte) ((v >>> (8 * it)) & 0xff) } }
    c
}

/** Identity-maps linear 0 .. end with mode's pages; returns [cr3, cr4]. */
List<Long> guestTables(def mem, String mode, long end) {
    switch (mode) {
        case '32-bit 4K':   // PD at 0x10000, tables from 0x100000
            for (long la = 0; la < end; la += 0x1000) {
                long pt = 0x100000 + ((la >>> 22) << 12)
                mem.poke32(0x10000 + (la >>> 22) * 4, pt | 0x67)
                mem.poke32(pt + ((la >>> 12) & 0x3ff) * 4, la | 0x67)
            }
            return [0x10000L, 0L]
        case '32-bit 4M':
            for (long la = 0; la < end; la += 0x400000) mem.poke32(0x10000 + (la >>> 22) * 4, la | 0xE7)
            return [0x10000L, 0x10L]                                  // CR4.PSE
        case 'PAE 4K':      // PDPT at 0x11000, one PD at 0x12000, tables from 0x200000
        case 'PAE 4K NPT':
            mem.poke64(0x11000, 0x12000 | 1)
            for (long la = 0; la < end; la += 0x1000) {
                long pt = 0x200000 + ((la >>> 21) << 12)
                mem.poke64(0x12000 + ((la >>> 21) & 511) * 8, pt | 0x67)
                mem.poke64(pt + ((la >>> 12) & 511) * 8, la | 0x67)
            }
            return [0x11000L, 0x20L]                                  // CR4.PAE
        default:            // 'PAE 2M'
            mem.poke64(0x11000, 0x12000 | 1)
            for (long la = 0; la < end; la += 0x200000) mem.poke64(0x12000 + ((la >>> 21) & 511) * 8, la | 0xE7)
            return [0x11000L, 0x20L]
    }
}

// PAE's PDPTEs are registers on Intel; 'PAE 4K NPT' reads them in every walk, as AMD's nested paging does.
def guestLevels = ['32-bit 4K': 2, '32-bit 4M': 1, 'PAE 4K': 2, 'PAE 2M': 1, 'PAE 4K NPT': 3]
def eptLevels = ['none': 0, '4K': 4, '2M': 3, '1G': 2]
def eptPage = ['4K': Ept.PAGE_4K, '2M': Ept.PAGE_2M, '1G': Ept.PAGE_1G]

def results = Sweep.over([
        guest_pages    : guestLevels.keySet() as List,
        ept_pages      : eptLevels.keySet() as List,
        working_set_mib: [1, 16],
]).label('2d-walk').run { p ->
    def vm = hv.createVm(memory: '32M', backend: 'interp')
    try {
        long ws = p.getLong('working_set_mib') << 20
        String e = p.getString('ept_pages')
        def (cr3, cr4) = guestTables(vm.mem, p.getString('guest_pages'), REGION + ws)
        vm.load(loopCode(accesses, (ws - 1) & ~3L, REGION), 0x1000)
        def cpu = vm.vcpu
        cpu.resetFlat32(0x1000)
        cpu.set('cr3', cr3)
        cpu.set('cr4', cr4)
        cpu.set('cr0', cpu.get('cr0') | 0x80000000L)
        cpu.set('esi', p.seed() & 0xffffffffL)
        boolean npt = p.getString('guest_pages').endsWith('NPT') && e != 'none'   // without nested paging the PDPTEs are registers
        cpu.pdptesInWalk = npt
        if (e != 'none') {
            vm.ept.map(0, 0, e == '1G' ? Ept.PAGE_1G : 32L << 20, Ept.RWX, eptPage[e])
            cpu.useEpt(vm.ept)
        } else {
            cpu.useEpt(null)   // 'none': EPT off (the default EPT too), unrestricted guest with it; the guest is paged, so it enters
        }
        cpu.tlbCounting = true
        def r = vm.run()
        def t = cpu.tlbCounters()
        if (cpu.eip != 0x1000 + 37) throw new IllegalStateException("guest stopped at ${Long.toHexString(cpu.eip)}: $r")
        int n = npt || !p.getString('guest_pages').endsWith('NPT') ? guestLevels[p.guest_pages] : 2, l = eptLevels[e]
        [bound_refs_per_walk: l == 0 ? n : (n + 1) * (l + 1) - 1,
         walks              : t.walks(),
         refs_per_walk      : t.referencesPerWalk(),
         guest_refs         : t.guestReferences(),
         ept_refs           : t.eptReferences(),
         refs_per_access    : t.references() / (double) accesses,
         tlb_hit_rate       : t.hitRate(),
         instructions       : cpu.instructions]
    } finally {
        vm.close()
    }
}

out results.toString()
out String.format('%-10s %-5s %4s %6s %8s %9s %10s %10s %9s %8s', 'guest', 'ept', 'MiB', 'bound', 'walks', 'refs/walk', 'guest refs', 'EPT refs', 'refs/acc', 'TLB hit')
results.ok().rows().each { r ->
    out String.format('%-10s %-5s %4d %6d %8d %9.2f %10d %10d %9.3f %7.1f%%', r.guest_pages, r.ept_pages, r.working_set_mib,
            r.bound_refs_per_walk, r.walks, r.refs_per_walk, r.guest_refs, r.ept_refs, r.refs_per_access, 100 * r.tlb_hit_rate)
}
if (results.failures().size() > 0) out "failures: ${results.failures()}"
def csv = results.writeCsv(new File(outDir, 'two-dimensional-walk.csv'))
def png = Plots.histogram('paging-structure references per walk (16 MiB working set)',
        results.ok().where { it.get('working_set_mib') == 16 }.rows().collectEntries {
            ["${it.guest_pages} / EPT ${it.ept_pages}".toString(), it.refs_per_walk]
        }).png(new File(outDir, 'two-dimensional-walk.png'))
out "wrote ${csv} and ${png}"
exit(results.failures().size() == 0 ? 0 : 1)
