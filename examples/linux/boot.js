// boot.groovy in JavaScript: the same machine (dev.trapdoor.shell.LinuxMachine), batch with --cmd,
// otherwise the guest's shell on this terminal (Ctrl-] stops it).
//   ./trapdoor run examples/linux/boot.js --cmd "uname -m"
const LinuxMachine = Java.type('dev.trapdoor.shell.LinuxMachine');
const ConsoleWatch = Java.type('dev.trapdoor.shell.ConsoleWatch');
const BootOutcome = Java.type('dev.trapdoor.shell.BootOutcome');
const Path = Java.type('java.nio.file.Path');

const home = Path.of(java.lang.System.getProperty('trapdoor.home', '.'));
let machine;
try {
    machine = LinuxMachine.parseWithGuests(java.util.Arrays.asList(Java.to(args, 'java.lang.String[]')), home);
    machine.checkFiles();
} catch (e) {
    java.lang.System.err.println('boot.js: ' + (e.getMessage ? e.getMessage() : e.message) + ' (run scripts/guests/fetch.sh for the default guests)');
    exit(BootOutcome.USAGE);
}

const cable = machine.openSerial(term);
const console = new ConsoleWatch(cable);
const guest = machine.create(hv, console);

let result;
if (machine.isBatch()) {
    console.onCommandExit(status => guest.stop());
    result = guest.run();
} else if (cable === term) {
    out.println('[' + guest.getName() + '] console attached: keys go to the guest, Ctrl-C too; Ctrl-] stops it');
    result = term.run(guest);
} else {
    result = guest.run();
}
if (cable !== term) cable.close();

const outcome = BootOutcome.of(result, console, machine.isBatch());
if (!machine.isBatch()) out.println('\n[' + guest.getName() + '] ' + result);
if (outcome.message() !== null) java.lang.System.err.println('boot.js: ' + outcome.message());
exit(outcome.status());
