// Cost per guest instruction of debugger breakpoints on the interpreter: a tight loop run with 0, 1
// and 10 address breakpoints placed where the loop never goes (they must not stop it, only be checked).
// Usage: ./trapdoor run scripts/experiments/breakpoint-cost.groovy [--iterations 50000000]
long n = opt('iterations', 50_000_000) as long
// Real mode at 0x1000: mov $n,%ecx; 1: dec %ecx; jnz 1b; out %al,$0xf4
byte[] loop = [0x66, 0xb9, n & 0xff, (n >> 8) & 0xff, (n >> 16) & 0xff, (n >> 24) & 0xff,
               0x66, 0x49, 0x75, 0xfc, 0xe6, 0xf4] as byte[]
def rows = []
for (int bps : [0, 1, 10, 0, 1, 10]) {        // each twice: the first pass warms the JIT
    def vm = hv.createVm(memory: '64K')
    vm.load(loop, 0x1000)
    vm.vcpu.resetRealMode(0, 0x1000)
    (0..<bps).each { vm.breakAt(0x2000 + it * 16) }
    long t0 = System.nanoTime()
    def r = vm.run()
    double s = (System.nanoTime() - t0) / 1e9
    long insns = vm.vcpu.instructions
    rows << [breakpoints: bps, instructions: insns, seconds: s, mips: insns / s / 1e6, nsPerInsn: s * 1e9 / insns]
    hv.destroy(vm)
}
def last = rows.drop(3)
last.each { printf("%2d breakpoints: %,d instructions in %.2f s = %.1f MIPS (%.2f ns/instruction)%n", it.breakpoints, it.instructions, it.seconds, it.mips, it.nsPerInsn) }
def base = last[0].nsPerInsn
last.drop(1).each { printf("cost of %d breakpoints: %+.2f ns per instruction%n", it.breakpoints, it.nsPerInsn - base) }
