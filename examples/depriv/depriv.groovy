// The depriv kernel under the trap-and-emulate monitor, with every trap printed.
//   ./trapdoor run examples/depriv/depriv.groovy [--mode deprivileged|vmx] [--calls 3] [--trace true]
def home = System.getProperty('trapdoor.home', '.')
def mode = opt('mode', 'deprivileged')
int calls = opt('calls', 3)
boolean trace = opt('trace', true)

def vm = hv.createVm(name: "depriv-$mode", memory: '1M')
vm.load("$home/examples/depriv/kernel.bin", 0x1000)
vm.mem.poke32(0x1f00, calls)                   // the workload: null system calls
vm.mem.poke32(0x1f04, 2)                       //               one-byte writes
def monitor = null
if (mode == 'deprivileged') {
    monitor = new DeprivilegedMonitor(vm).boot(0x1000)   // the kernel runs at CPL 3, IOPL 0
    if (trace) monitor.trace { line -> out line }
} else {
    vm.vcpu.resetFlat32(0x1000)                          // ring 0 under the VMX-style controls
}

def result = vm.run()
out '--- serial'
print vm.serialOutput
out "--- $result.reason (status $result.status) on $mode"
out vm.exits.table()
if (monitor) out "traps by kind: ${monitor.trapsByKind}\n$monitor.virtual"
exit(result.reason == StopReason.SHUTDOWN && result.status == 1 ? 0 : 1)
