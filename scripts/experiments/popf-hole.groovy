// Experiment 8a, the Popek-Goldberg hole: POPF is sensitive but not privileged.
// The guest kernel (examples/depriv/kernel.S) does  sti; pushf; cli; ...; popf  expecting POPF to
// restore IF=1, then reads IF back with pushf and prints it. Run at ring 0 under the VMX-style
// controls it sees IF=1. Run deprivileged (ring 3, IOPL 0) under the trap-and-emulate monitor,
// POPF does not trap and silently keeps IF: the monitor's virtual IF stays 0 and so does the IF the
// guest reads back.
//   ./trapdoor run scripts/experiments/popf-hole.groovy
def home = System.getProperty('trapdoor.home', '.')
def kernel = new File("$home/examples/depriv/kernel.bin").bytes

// The popf to watch, found by its bytes: popf; pushf; pop %eax
int at = (0..<kernel.length - 2).find { kernel[it] == (byte) 0x9d && kernel[it + 1] == (byte) 0x9c && kernel[it + 2] == (byte) 0x58 }
long popf = 0x1000 + at

// Exits other than the debugger's own breakpoint stops (EXCEPTION_NMI), or the monitor's traps.
def trapsOf = { vm, monitor -> monitor ? monitor.traps : vm.exits.total() - vm.exits.get('EXCEPTION_NMI') }

def rows = []
for (mode in ['vmx', 'deprivileged']) {
    def vm = hv.createVm(name: "popf-$mode", memory: '1M')
    vm.load(kernel, 0x1000)
    def monitor = null
    if (mode == 'deprivileged') monitor = new DeprivilegedMonitor(vm).boot(0x1000)
    else vm.vcpu.resetFlat32(0x1000)

    vm.breakAt(popf)
    vm.run()
    long trapsBefore = trapsOf(vm, monitor)
    long ifBefore = (vm.vcpu.eflags >> 9) & 1
    vm.breakAt(popf + 1)
    vm.run()
    long trapsAcross = trapsOf(vm, monitor) - trapsBefore
    long ifAfter = (vm.vcpu.eflags >> 9) & 1
    def virtualIf = monitor ? (monitor.virtual.interruptFlag ? 1 : 0) : ifAfter
    vm.breakpoints.each { vm.delete(it.id()) }
    def result = vm.run()
    def line = vm.serialOutput.readLines().find { it.startsWith('kernel: IF after popf') }
    rows << [mode: mode, ifBefore: ifBefore, ifAfter: ifAfter, virtualIf: virtualIf, trapsAcrossPopf: trapsAcross, guestSays: line, end: result.reason]
    hv.destroy(vm)
}

out String.format('%-13s %-22s %-16s %-12s %-18s %s', 'mode', 'IF before popf (cli)', 'real IF after', 'virtual IF', 'traps/exits by popf', 'guest prints')
rows.each { r ->
    out String.format('%-13s %-22s %-16s %-12s %-18s %s', r.mode, r.ifBefore, r.ifAfter, r.virtualIf, r.trapsAcrossPopf, r.guestSays)
}
def vmx = rows[0], dep = rows[1]
boolean hole = vmx.ifAfter == 1 && dep.ifAfter == 0 && dep.virtualIf == 0 && dep.trapsAcrossPopf == 0
out hole ? 'popf restored IF at ring 0; at ring 3 it did not trap and IF stayed 0: the monitor never learned the guest enabled interrupts.'
         : 'unexpected: the hole did not show'
exit(hole ? 0 : 1)
