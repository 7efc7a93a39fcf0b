// Runs the hello guest and prints its port I/O exits as they happen.
//   ./trapdoor run scripts/trace-io.groovy [--backend interp|kvm] [--limit N]
// Scripts read their arguments as `args`; opt('name', default) gives the value after --name.
def image = new File(System.getProperty('trapdoor.home', '.'), 'examples/hello/hello.bin')
if (!image.exists()) {
    System.err.println "trace-io: ${image} is missing"
    exit(2)
}
def vm = hv.createVm(name: 'trace', backend: opt('backend', 'interp'))
vm.load(image.path, 0x1000)

int limit = opt('limit', 200)
int shown = 0
def serial = new StringBuilder()
vm.onExit(IO_INSTRUCTION) { e ->
    if (shown++ < limit) out("  #${e.sequence} ${e}")
    if (e.out && e.port == 0x3f8) serial << e.text    // what the guest sends to COM1's data register
    PASS
}
def r = vm.run()
out "stopped: ${r}"
out "COM1 got: ${serial.toString().inspect()}"
out vm.exits.table()
exit(r.reason() == StopReason.HALTED ? 0 : 1)
