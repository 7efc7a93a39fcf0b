// Cost per guest instruction of debugger stops on the interpreter: a compute loop that reads and
// writes one memory word per iteration, run with 0, 1 and 10 address breakpoints and 0, 1 and 10
// data watchpoints, all placed where the loop never goes (they must not stop it, only be checked).
// Watchpoints on other pages cost nothing per access (their pages stay out of the TLB, the loop's
// page stays in); the last row puts the watchpoints on the loop's own data page, next to its word,
// so every access takes the slow path that checks the ranges.
// Time is the vCPU thread's CPU time (the run happens on this thread), so other processes on the
// machine disturb it less than wall-clock time.
// Usage: ./trapdoor run scripts/experiments/breakpoint-cost.groovy [--iterations 20000000]
long n = opt('iterations', 20_000_000) as long
// Real mode at 0x1000: mov $n,%ecx; 1: mov 0x3000,%eax; add %ecx,%eax; mov %eax,0x3000; dec %ecx; jnz 1b; out %al,$0xf4
byte[] loop = [0x66, 0xb9, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >> 24) & 0xff,
               0x66, 0xa1, 0x00, 0x30, 0x66, 0x01, 0xc8, 0x66, 0xa3, 0x00, 0x30,
               0x66, 0x49, 0x75, 0xf1, 0xe6, 0xf4] as byte[]
def configs = [
        ['nothing', { vm -> }],
        ['1 breakpoint', { vm -> vm.breakAt(0x2000) }],
        ['10 breakpoints', { vm -> (0..<10).each { vm.breakAt(0x2000 + it * 16) } }],
        ['1 watchpoint', { vm -> vm.watch(0x5000, 4, 'rw') }],
        ['10 watchpoints', { vm -> (0..<10).each { vm.watch(0x5000 + it * 0x1000, 4, 'rw') } }],
        ['10 watchpoints + 10 breakpoints', { vm -> (0..<10).each { vm.watch(0x5000 + it * 0x1000, 4, 'rw'); vm.breakAt(0x2000 + it * 16) } }],
        ['1 watchpoint on the loop\'s page', { vm -> vm.watch(0x3100, 4, 'rw') }],
        ['10 watchpoints on the loop\'s page', { vm -> (0..<10).each { vm.watch(0x3100 + it * 16, 4, 'rw') } }],
]
def cpu = java.lang.management.ManagementFactory.threadMXBean
def rows = []
for (int pass = 0; pass < 2; pass++) {        // the first pass warms the JIT
    for (def c : configs) {
        def vm = hv.createVm(memory: '128K')
        vm.load(loop, 0x1000)
        vm.vcpu.resetRealMode(0, 0x1000)
        c[1](vm)
        long t0 = cpu.currentThreadCpuTime
        def r = vm.run()
        double s = (cpu.currentThreadCpuTime - t0) / 1e9
        long insns = vm.vcpu.instructions
        if (!r.isShutdown()) throw new IllegalStateException("${c[0]}: the loop did not finish: $r")
        if (pass == 1) rows << [what: c[0], instructions: insns, seconds: s, mips: insns / s / 1e6, nsPerInsn: s * 1e9 / insns]
        hv.destroy(vm)
    }
}
rows.each { printf("%-36s %,d instructions in %.2f s CPU = %6.1f MIPS (%.2f ns/instruction)%n", it.what, it.instructions, it.seconds, it.mips, it.nsPerInsn) }
def base = rows[0].nsPerInsn
rows.drop(1).each { printf("cost of %-36s %+.2f ns per instruction%n", it.what + ':', it.nsPerInsn - base) }
