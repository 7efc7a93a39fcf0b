// Experiment 8b: traps into the VMM per guest system call, at ring 0 under the VMX-style controls
// and deprivileged under the trap-and-emulate monitor.
// The user program of examples/depriv/kernel.S makes N system calls of one kind:
//   null   int $0x80 -> sti ... cli; iret in the kernel (no I/O)
//   write1 a one-byte write: the kernel polls the UART's LSR (in) and writes THR (out)
// Each cell is (exits with N calls - exits with 0 calls) / N, so boot and exit costs cancel.
// insn/call counts what the interpreter retired (the guest's and, deprivileged, the monitor stubs').
// host ns/call is wall time on a shared machine with the interpreter still warming up: a rough
// ratio between the modes, not a benchmark.
//   ./trapdoor run scripts/experiments/traps-per-syscall.groovy [--n 5000] [--out DIR]
def home = System.getProperty('trapdoor.home', '.')
def outDir = new File(opt('out', new File(home, 'build/experiments').path))
int n = opt('n', 5000)
def kernel = new File("$home/examples/depriv/kernel.bin").bytes
final long CONFIG = 0x1f00

def runOnce = { String mode, String kind, int calls ->
    def vm = hv.createVm(name: "sys-$mode-$kind-$calls", memory: '1M')
    vm.load(kernel, 0x1000)
    vm.mem.poke32(CONFIG, kind == 'null' ? calls : 0)
    vm.mem.poke32(CONFIG + 4, kind == 'write1' ? calls : 0)
    def monitor = null
    if (mode == 'deprivileged') monitor = new DeprivilegedMonitor(vm).boot(0x1000)
    else vm.vcpu.resetFlat32(0x1000)
    long t0 = System.nanoTime()
    def result = vm.run()
    long ns = System.nanoTime() - t0
    if (result.reason != StopReason.SHUTDOWN) throw new IllegalStateException("$mode/$kind: $result")
    def r = [exits: vm.exits.total(), io: vm.exits.get('IO_INSTRUCTION'), ns: ns,
             kinds: monitor ? monitor.trapsByKind : [:], instructions: vm.vcpu.instructions]
    hv.destroy(vm)
    r
}

def rows = []
for (kind in ['null', 'write1']) {
    for (mode in ['vmx', 'deprivileged']) {
        runOnce(mode, kind, n)                       // warm-up: JIT the interpreter and the monitor
        def base = runOnce(mode, kind, 0)
        def full = runOnce(mode, kind, n)
        double perCall = (full.exits - base.exits) / (double) n
        double nsPerCall = (full.ns - base.ns) / (double) n
        double insnPerCall = (full.instructions - base.instructions) / (double) n
        def breakdown = full.kinds.collect { k, v -> [k, (v - (base.kinds[k] ?: 0)) / (double) n] }
                .findAll { it[1] > 0 }.sort { -it[1] }
                .collect { "${it[0]}=${String.format('%.2f', it[1])}" }.join(' ')
        rows << [kind: kind, mode: mode, n: n, trapsPerCall: perCall, guestInstructionsPerCall: insnPerCall,
                 hostNsPerCall: nsPerCall, breakdown: breakdown]
    }
}

out String.format('%-7s %-13s %8s %12s %14s %14s  %s', 'syscall', 'mode', 'N', 'traps/call', 'guest insn/call', 'host ns/call', 'traps by kind (deprivileged)')
rows.each { r ->
    out String.format('%-7s %-13s %8d %12.2f %14.1f %14.0f  %s', r.kind, r.mode, r.n, r.trapsPerCall, r.guestInstructionsPerCall, r.hostNsPerCall, r.breakdown)
}

outDir.mkdirs()
def csv = new File(outDir, 'traps-per-syscall.csv')
csv.text = 'syscall,mode,n,traps_per_call,guest_instructions_per_call,host_ns_per_call,breakdown\n' +
        rows.collect { r -> "${r.kind},${r.mode},${r.n},${r.trapsPerCall},${r.guestInstructionsPerCall},${r.hostNsPerCall},\"${r.breakdown}\"" }.join('\n') + '\n'
out "wrote $csv"
exit(0)
