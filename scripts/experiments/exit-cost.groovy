// Experiment (c): VM entry/exit cost against the state the transitions move.
//   ./trapdoor run scripts/experiments/exit-cost.groovy [--outs N] [--work W] [--out DIR]
//
// An I/O-heavy guest (N OUTs to port 0x80, each a VM exit, with 2W+2 instructions of work
// between them) runs on the interpreter under VMCS
// settings that change what an exit and the entry back must save and load: the VM-exit
// MSR-store and VM-entry MSR-load list sizes, VPID (without it every transition flushes the
// TLB) and EPT. The runtime's ExitCostModel (api/ExitCostModel) charges each exit's round trip
// in cycles to the exit counters and to virtual time, so the figures are the model's: cycles per
// exit, exits per virtual second, and the share of virtual time spent in transitions. The host's
// own exit rate (wall clock) is printed too, to show what the interpreter really costs.
// With EPT the interpreter's MMU also walks the (identity) EPT on each TLB miss, and without
// VPID each entry starts with an empty TLB; the cost model's figures are charged on top.
// The guest runs in paged protected mode (one 4-MiB page): without EPT there is no "unrestricted
// guest", and VM entry then needs CR0.PE and CR0.PG set, as on hardware (SDM 26.3.1.1).
import dev.trapdoor.experiment.*
import dev.trapdoor.vmx.VmcsField

def outDir = new File(opt('out', new File(System.getProperty('trapdoor.home', '.'), 'build/experiments').path))
int outs = opt('outs', 20_000)
int work = opt('work', 200)
if (outs < 1 || outs > 0xffff || work < 1 || work > 0xffff) { out 'outs and work must be 1..65535 (they live in CX and BX)'; exit(2) }

// 32-bit code at 0x1000: mov edx,0x80; mov ecx,outs; o: mov ebx,work; i: dec ebx; jnz i; out dx,al; loop o; cli; hlt
byte[] code = [0xba, 0x80, 0x00, 0x00, 0x00, 0xb9, outs & 0xff, (outs >> 8) & 0xff, 0x00, 0x00,
               0xbb, work & 0xff, (work >> 8) & 0xff, 0x00, 0x00, 0x4b, 0x75, 0xfd, 0xee, 0xe2, 0xf5, 0xfa, 0xf4] as byte[]
final long PD = 0x2000                          // page directory: one 4-MiB page maps linear 0 to itself

def results = Sweep.over([
        msr_entries: [0, 4, 8, 16, 32],
        config     : ['bare', 'vpid', 'ept', 'ept+vpid'],
]).parallelism(1).label('exit-cost').run { p ->
    def vm = hv.createVm(memory: '64K', backend: 'interp')
    try {
        vm.load(code, 0x1000)
        vm.mem.poke32(PD, 0x87)                  // present, writable, user, 4 MiB
        def cpu = vm.vcpu
        cpu.resetFlat32(0x1000)
        cpu.set('cr3', PD)
        cpu.set('cr4', cpu.get('cr4') | 0x10)    // CR4.PSE
        cpu.set('cr0', cpu.get('cr0') | 0x80000000L)
        def v = vm.vmcs
        int n = p.getInt('msr_entries')
        v.write(VmcsField.VM_EXIT_MSR_STORE_COUNT, n)
        v.write(VmcsField.VM_EXIT_MSR_LOAD_COUNT, n)
        v.write(VmcsField.VM_ENTRY_MSR_LOAD_COUNT, n)
        String config = p.getString('config')
        // A new VM has EPT and unrestricted guest on over the runtime's identity EPT; 'bare' and 'vpid' turn both off.
        if (config.contains('vpid')) { v.enable(VmcsField.SECONDARY_PROC_BASED_CONTROLS, 'ENABLE_VPID'); v['VPID'] = 1 }
        if (config.contains('ept')) {                // identity EPT over the guest's RAM: the CPU walks it
            vm.ept.map(0, 0, 0x10000, dev.trapdoor.memory.paging.Ept.RWX)
            cpu.useEpt(vm.ept)
        } else {
            cpu.useEpt(null)                         // EPT off, unrestricted guest with it: the paged guest still enters
        }
        long t0 = System.nanoTime()
        def r = vm.run()
        double wall = (System.nanoTime() - t0) / 1e9
        def ex = vm.exits
        long exits = ex.total()
        long cycles = ex.totalCycles()
        long ns = vm.clock.now()
        [stop              : r.reason().toString(),
         exits             : exits,
         cycles_per_exit   : (cycles / exits) as long,
         guest_instructions: vm.vcpu.instructions,
         virtual_ns        : ns,
         exits_per_virtual_s: (exits / (ns / 1e9)) as long,
         transition_share  : cycles / (double) ns,
         host_exits_per_s  : (exits / wall) as long]
    } finally {
        vm.close()
    }
}

out results.toString()
out String.format('%-9s %5s %10s %14s %11s %12s', 'config', 'msrs', 'cyc/exit', 'exits/virt s', 'in transit', 'host exit/s')
results.ok().rows().each { row ->
    out String.format('%-9s %5d %10d %14d %10.1f%% %12d', row.config, row.msr_entries, row.cycles_per_exit,
            row.exits_per_virtual_s, 100 * row.transition_share, row.host_exits_per_s)
}
out "cost model: ${new dev.trapdoor.api.ExitCostModel()}"

def csv = results.writeCsv(new File(outDir, 'exit-cost.csv'))
def png = Plots.sweep(results.ok(), 'msr_entries', 'exits_per_virtual_s', 'config').png(new File(outDir, 'exit-cost.png'))
out "wrote ${csv} and ${png}"
exit(results.failures().size() == 0 ? 0 : 1)
