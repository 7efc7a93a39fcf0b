// Experiment 8a, the Popek-Goldberg hole: POPF is sensitive but not privileged.
// The guest kernel (examples/depriv/kernel.S) does  sti; pushf; cli; ...; popf  expecting POPF to
// restore IF=1, then reads IF back with pushf and prints it. Run at ring 0 under the VMX-style
// controls it sees IF=1. Run deprivileged (ring 3, IOPL 0) under the trap-and-emulate monitor,
// POPF does not trap and silently keeps IF: the monitor's virtual IF stays 0 and so does the IF the
// guest reads back. A second symptom: an interrupt that became pending during the critical
// section (injected at the popf) comes in right at the popf at ring 0; the monitor, which only
// runs when the guest traps, delivers it only at the next trap with virtual IF set (much later).
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
    if (monitor) monitor.raise(0x20) else vm.vcpu.injectInterrupt(0x20)   // a device interrupt, pending since the cli
    vm.breakAt(popf + 1)
    vm.run()
    long trapsAcross = trapsOf(vm, monitor) - trapsBefore
    long ifAfter = (vm.vcpu.eflags >> 9) & 1
    def virtualIf = monitor ? (monitor.virtual.interruptFlag ? 1 : 0) : ifAfter
    vm.breakpoints.each { vm.delete(it.id()) }
    def result = vm.run()
    def line = vm.serialOutput.readLines().find { it.startsWith('kernel: IF after popf') }
    long atPopf = vm.mem.peek32(0x3010), ticks = vm.mem.peek32(0x300c)   // if_ticks, ticks (see kernel.S)
    rows << [mode: mode, ifBefore: ifBefore, ifAfter: ifAfter, virtualIf: virtualIf, trapsAcrossPopf: trapsAcross,
             irq: "${atPopf ? 'at the popf' : 'later'} (${ticks}x)", guestSays: line, end: result.reason]
    hv.destroy(vm)
}

out String.format('%-13s %-10s %-9s %-10s %-13s %-17s %s', 'mode', 'IF (cli)', 'IF popf', 'virt. IF', 'traps (popf)', 'pending irq', 'guest prints')
rows.each { r ->
    out String.format('%-13s %-10s %-9s %-10s %-13s %-17s %s', r.mode, r.ifBefore, r.ifAfter, r.virtualIf, r.trapsAcrossPopf, r.irq, r.guestSays)
}
def vmx = rows[0], dep = rows[1]
boolean hole = vmx.ifAfter == 1 && dep.ifAfter == 0 && dep.virtualIf == 0 && dep.trapsAcrossPopf == 0 && vmx.irq.startsWith('at') && dep.irq.startsWith('later')
out hole ? 'popf restored IF at ring 0; at ring 3 it did not trap and IF stayed 0: the monitor never learned the guest enabled interrupts.'
         : 'unexpected: the hole did not show'
exit(hole ? 0 : 1)
