// Runs the hello guest and prints its port I/O exits as they happen (the JS twin of trace-io.groovy).
//   ./trapdoor run scripts/trace-io.js [--backend interp|kvm] [--limit N]
const File = Java.type('java.io.File');
const image = new File(java.lang.System.getProperty('trapdoor.home', '.'), 'examples/hello/hello.bin');
if (!image.exists()) {
    out(`trace-io: ${image} is missing`);
    exit(2);
}
const vm = hv.createVm({name: 'trace', backend: opt('backend', 'interp')});
vm.load(image.path, 0x1000);

const limit = opt('limit', 200);
let shown = 0;
let serial = '';
vm.onExit(IO_INSTRUCTION, e => {
    if (shown++ < limit) out(`  #${e.sequence} ${e}`);
    if (e.out && e.port == 0x3f8) serial += e.text;   // what the guest sends to COM1's data register
    return PASS;
});
const r = vm.run();
out(`stopped: ${r}`);
out(`COM1 got: ${JSON.stringify(serial)}`);
out(vm.exits.table());
exit(r.reason() == StopReason.HALTED ? 0 : 1);
