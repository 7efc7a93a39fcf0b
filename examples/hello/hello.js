// The seed's mini VMM (lecture chapter 3) in JavaScript: memory, load, run, handle exits, repeat.
// Usage: ./trapdoor run examples/hello/hello.js [--backend interp|kvm]
const home = java.lang.System.getProperty('trapdoor.home', '.');
const backend = opt('backend', 'interp');

const vm = hv.createVm({name: 'hello', memory: '1M', backend: backend});
vm.load(home + '/examples/hello/hello.bin', 0x1000);
vm.getVcpu().resetRealMode(0, 0x1000);

let serial = '';
vm.onExit(IO_INSTRUCTION, e => {
    if (e.isOut() && e.getPort() === 0x3f8) serial += e.getText();
    return null;
});

const result = vm.run();
out.print(serial);
out.println('-- ' + result.reason() + ' on ' + backend);
out.println(vm.exits.table());
exit(result.reason() === StopReason.HALTED ? 0 : 1);
