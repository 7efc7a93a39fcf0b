// The seed's mini VMM (lecture chapter 3), as a Trapdoor script:
//   1. set up the VM's memory  2. load the code  3. run  4. handle the exits  5. go to 3.
// Usage: ./trapdoor run examples/hello/hello.groovy [--backend interp|kvm]
def home = System.getProperty('trapdoor.home', '.')
def backend = opt('backend', 'interp')

def vm = hv.createVm(name: 'hello', memory: '1M', backend: backend)   // 1. RAM at 0, a 16550 at 0x3f8
vm.load("$home/examples/hello/hello.bin", 0x1000)                    // 2. flat binary at 0x1000
vm.vcpu.resetRealMode(0, 0x1000)                                     //    real mode, CS:IP = 0000:1000

// 4. Our own exit handler: collect what the guest sends to the serial port. Returning null passes
// the exit on to the default handler, which emulates the UART.
def serial = new StringBuilder()
vm.onExit(IO_INSTRUCTION) { e ->
    if (e.out && e.port == 0x3f8) serial << e.text
    null
}

def result = vm.run()                                                // 3 + 5: runs until HLT
print serial
println "-- $result.reason on $backend"
println vm.exits.table()
exit(result.reason == StopReason.HALTED ? 0 : 1)
