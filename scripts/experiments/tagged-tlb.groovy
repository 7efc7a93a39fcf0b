// Experiment (e): a VPID-tagged TLB against flushing on every VM switch, on the interpreter.
//   ./trapdoor run scripts/experiments/tagged-tlb.groovy [--switches N] [--out DIR]
//
// Two guests take turns on one vCPU, as a VMM schedules two VMs on one processor: each has its
// own EPT (in one table pool) mapping the same guest-physical layout to different host memory,
// and its own register state; the script switches the VMCS's EPT pointer, VPID and the guest
// state between turns. Per turn a guest makes `quantum` pseudo-random reads over `pages` pages
// of its working set (32-bit paging over 4-KiB EPT: 14 references per walk), then HLT ends the
// turn. Tagged: each guest has its VPID and the entries of both coexist in the CPU's TLB (SDM
// Vol. 3C, 29.1). Flush: VPIDs off, so every VM entry and exit invalidates the TLB (29.4.3.3)
// and each turn starts cold. Figures from the vCPU's counters: TLB hit rate, misses, and
// paging-structure references per access.
import dev.trapdoor.experiment.*
import dev.trapdoor.memory.paging.Ept

def outDir = new File(opt('out', new File(System.getProperty('trapdoor.home', '.'), 'build/experiments').path))
int switches = opt('switches', 200)

final long PD = 0x10000, PT = 0x11000, LA = 0x0040_0000L, GUEST_RAM = 8L << 20

/** top: mov ecx,N; l: imul esi,esi,1103515245; add esi,12345; mov eax,esi; shr eax,8; and eax,MASK; mov edx,[eax+BASE]; dec ecx; jnz l; hlt; jmp top */
byte[] loopCode(long n, long mask, long base) {
    byte[] c = 'b94433221169f66d4ec64181c63930000089f0c1e80825887766558b90000040004975e1f4ebd9'.decodeHex()
    [[1, n], [23, mask], [29, base]].each { at, v -> (0..3).each { c[at + it] = (byte) ((v >>> (8 * it)) & 0xff) } }
    c
}

def results = Sweep.over([
        pages_per_guest: [8, 16, 32, 64, 128],
        quantum        : [64, 1024],
        vpid           : ['tagged', 'flush'],
]).label('tagged-tlb').run { p ->
    def vm = hv.createVm(memory: '16M', backend: 'interp')
    try {
        int pages = p.getInt('pages_per_guest')
        int quantum = p.getInt('quantum')
        // Guest k's RAM is host [k * 8 MiB, +8 MiB): identity paging over the first 8 MiB, code at 0x1000.
        def epts = [vm.newEpt(), vm.newEpt()]
        def cpu = vm.vcpu
        def regs = []
        for (int k = 0; k < 2; k++) {
            long host = k * GUEST_RAM
            epts[k].map(0, host, GUEST_RAM, Ept.RWX, Ept.PAGE_4K)
            vm.mem.poke32(host + PD, PT | 0x67)
            vm.mem.poke32(host + PD + 4, PT + 0x1000 | 0x67)
            for (long la = 0; la < GUEST_RAM; la += 0x1000) vm.mem.poke32(host + PT + (la >>> 12) * 4, la | 0x67)
            vm.mem.poke32(host + LA, 0x1000 * (k + 1))
            vm.load(loopCode(quantum, pages * 0x1000L - 4, LA), host + 0x1000)
            cpu.resetFlat32(0x1000)
            cpu.set('cr3', PD)
            cpu.set('cr0', cpu.get('cr0') | 0x80000000L)
            cpu.set('esi', (p.seed() + k) & 0xffffffffL)
            regs << cpu.registers
        }
        cpu.tlbCounting = true
        for (int turn = 0; turn < switches; turn++) {
            int k = turn & 1
            cpu.useEpt(epts[k])                      // VMCS switch: EPT pointer, VPID, guest state
            cpu.useVpid(p.vpid == 'tagged' ? k + 1 : 0)
            cpu.registers = regs[k]
            def r = vm.run()
            if (cpu.eip != 0x1000 + 37) throw new IllegalStateException("guest $k stopped at ${Long.toHexString(cpu.eip)}: $r")
            regs[k] = cpu.registers
        }
        def t = cpu.tlbCounters()
        long accesses = (long) switches * quantum
        [accesses       : accesses,
         tlb_hit_rate   : t.hitRate(),
         misses         : t.misses(),
         refs_per_walk  : t.referencesPerWalk(),
         refs_per_access: t.references() / (double) accesses]
    } finally {
        vm.close()
    }
}

out results.toString()
out String.format('%6s %8s %-7s %9s %8s %10s %10s', 'pages', 'quantum', 'vpid', 'TLB hit', 'misses', 'refs/walk', 'refs/acc')
results.ok().rows().each { r ->
    out String.format('%6d %8d %-7s %8.1f%% %8d %10.2f %10.3f', r.pages_per_guest, r.quantum, r.vpid, 100 * r.tlb_hit_rate, r.misses, r.refs_per_walk, r.refs_per_access)
}
if (results.failures().size() > 0) out "failures: ${results.failures()}"
def csv = results.writeCsv(new File(outDir, 'tagged-tlb.csv'))
def png = Plots.sweep(results.ok().where { it.get('quantum') == 64 }, 'pages_per_guest', 'tlb_hit_rate', 'vpid')
        .png(new File(outDir, 'tagged-tlb.png'))
out "wrote ${csv} and ${png} (the plot: 64 accesses per turn)"
exit(results.failures().size() == 0 ? 0 : 1)
