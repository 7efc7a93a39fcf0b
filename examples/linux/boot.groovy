// Boots Linux on the PC board: the machine `trapdoor boot` makes (dev.trapdoor.shell.LinuxMachine,
// the one description both use), from a script. Defaults: Debian's i386 kernel and the standard
// busybox initramfs from build/guests (scripts/guests/fetch.sh puts them there; the initramfs is
// built once and cached beside busybox).
//
//   ./trapdoor run examples/linux/boot.groovy --cmd "uname -a"   batch: run one command in the guest,
//                                                                stop at its exit line, exit with its status
//   ./trapdoor run examples/linux/boot.groovy                    the guest's shell on this terminal
//                                                                (Ctrl-C goes to the guest; Ctrl-] stops it)
// Any `trapdoor boot` option works here too: --kernel, --initrd, --append, --memory, --backend, --serial file:PATH, ...
import dev.trapdoor.shell.BootOutcome
import dev.trapdoor.shell.ConsoleWatch
import dev.trapdoor.shell.LinuxMachine

def home = java.nio.file.Path.of(System.getProperty('trapdoor.home', '.'))
LinuxMachine machine
try {
    machine = LinuxMachine.parseWithGuests(args as List, home)
    machine.checkFiles()
} catch (IllegalArgumentException e) {
    System.err.println "boot.groovy: ${e.message} (run scripts/guests/fetch.sh for the default guests)"
    exit(BootOutcome.USAGE)
}

// The console: the terminal (or --serial file:PATH), watched for the initramfs's marker lines.
def cable = machine.openSerial(term)
def console = new ConsoleWatch(cable)
Vm guest = machine.create(hv, console)       // a PC with 64 MiB, the kernel loaded, vCPU 0 at its entry
vm = guest                                   // at the prompt (:load), the guest becomes the current VM

RunResult result
if (machine.batch) {
    // Batch: stop as soon as the command's exit line went by (no need to wait for the power-off).
    console.onCommandExit { status -> guest.stop() }
    result = guest.run()
} else if (cable.is(term)) {
    println "[${guest.name}] console attached: keys go to the guest, Ctrl-C too; Ctrl-] stops it"
    result = term.run(guest)
} else {
    result = guest.run()                     // console in a file: nothing to type into
}
if (cable instanceof AutoCloseable && !cable.is(term)) cable.close()

def outcome = BootOutcome.of(result, console, machine.batch)
if (!machine.batch) println "\n[${guest.name}] $result"
if (outcome.message()) System.err.println "boot.groovy: ${outcome.message()}"
exit(outcome.status())
