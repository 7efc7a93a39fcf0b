package dev.trapdoor.shell;

import dev.trapdoor.api.Hypervisor;
import dev.trapdoor.api.RunResult;
import dev.trapdoor.api.Vm;
import dev.trapdoor.devices.CharBackend;
import dev.trapdoor.devices.StreamCharBackend;
import org.jline.terminal.Terminal;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

/**
 * {@code trapdoor boot}: a QEMU-like command line, no script. Builds {@link LinuxMachine}, runs it
 * with its console on the terminal (keys included) or in a file, and exits with the guest's
 * status ({@link BootOutcome}). {@value TerminalConsole#DETACH_NAME} drops into the prompt with
 * the machine as {@code vm}, paused; {@code continue} resumes it.
 */
final class BootCommand {
    static final String USAGE = """
            usage: trapdoor boot --kernel FILE [OPTIONS]
            Boots a PC (8259 pair, PIT, RTC, i8042, PCI; COM1 on IRQ 4) with its serial console here.
            %s
            Keys go to the guest (Ctrl-C too); Ctrl-] pauses it and opens the trapdoor prompt with it as vm
            (continue resumes it). Exit status: the guest's isa-debug-exit status, 0 when it powers off or halts,
            the command's status with --cmd, %d for a bad option or image, %d when the machine fails.""".formatted(
            LinuxMachine.OPTIONS, BootOutcome.USAGE, BootOutcome.FAILED);

    /** Opens the terminal only once the options and files are known to be good. */
    interface TerminalOpener {
        Terminal open() throws IOException;
    }

    private final PrintWriter err;
    private final TerminalOpener opener;
    private final Path history;
    private java.util.function.Consumer<Vm> onBoot = vm -> { };

    BootCommand(PrintWriter err, TerminalOpener opener, Path history) {
        this.err = err;
        this.opener = opener;
        this.history = history;
    }

    /** Called with the machine once it is built, before it runs (tests arm a watchdog with it). */
    BootCommand onBoot(java.util.function.Consumer<Vm> action) {
        onBoot = action;
        return this;
    }

    int run(List<String> args) {
        if (args.contains("--help") || args.contains("-h")) {
            err.println(USAGE);
            err.flush();
            return 0;
        }
        LinuxMachine m;
        try {
            m = LinuxMachine.parse(args);
            m.checkFiles();
        } catch (IllegalArgumentException e) {
            return usage(e.getMessage());
        }
        try (Terminal terminal = opener.open()) {
            return boot(m, terminal);
        } catch (IOException e) {
            err.println("trapdoor boot: cannot open the terminal: " + e.getMessage());
            err.flush();
            return 1;
        }
    }

    private int usage(String message) {
        err.println("trapdoor boot: " + message + " (trapdoor boot --help)");
        err.flush();
        return BootOutcome.USAGE;
    }

    private int boot(LinuxMachine m, Terminal terminal) {
        PrintWriter screen = terminal.writer();
        CharBackend cable = null;
        try (Session s = new Session(Hypervisor.create(), screen, err, true)) {
            s.useTerminal(terminal);
            s.attachKeysAlways(true);
            cable = m.openSerial(s.terminalConsole());
            AtomicReference<Vm> booted = new AtomicReference<>();
            ConsoleWatch watch = new ConsoleWatch(cable);
            if (m.isBatch()) watch.onCommandExit(status -> booted.get().stop()); // the command ended: done, no need to wait for poweroff
            Vm vm;
            try {
                vm = m.create(s.hv(), watch);
            } catch (IllegalArgumentException | UncheckedIOException e) {
                return usage(ErrorLine.message(e));
            }
            booted.set(vm);
            s.setVm(vm);
            onBoot.accept(vm);
            RunResult r = firstRun(s, vm, m, terminal);
            if (TerminalConsole.isDetach(r)) return prompt(s, vm, watch, m, terminal);
            return finish(s, r, watch, m);
        } catch (IOException e) {
            return usage("cannot write the serial file: " + e.getMessage());
        } finally {
            if (cable instanceof StreamCharBackend file) file.close();
        }
    }

    private RunResult firstRun(Session s, Vm vm, LinuxMachine m, Terminal terminal) {
        if (m.getSerialFile() == null) {
            if (!m.isBatch()) {
                err.println("[" + vm.getName() + "] " + Session.ATTACHED);
                err.flush();
            }
            return s.terminalConsole().run(vm);
        }
        // The console is a file: the terminal keeps its modes, and Ctrl-C pauses the guest (prompt).
        Terminal.SignalHandler before = terminal.handle(Terminal.Signal.INT, signal -> s.interruptRuns());
        try {
            RunResult r = vm.run();
            return r.reason() == dev.trapdoor.api.StopReason.INTERRUPTED && !m.isBatch()
                    ? new RunResult(r.reason(), r.exit(), r.status(), r.breakpoint(), TerminalConsole.DETACHED_MESSAGE) : r;
        } finally {
            terminal.handle(Terminal.Signal.INT, before);
        }
    }

    /** Ctrl-]: the prompt, with the machine as vm; the status is the guest's if it ended there. */
    private int prompt(Session s, Vm vm, ConsoleWatch watch, LinuxMachine m, Terminal terminal) {
        PrintWriter screen = terminal.writer();
        if (!s.terminalConsole().atLineStart()) screen.println();
        screen.println("[" + vm.getName() + "] paused (" + TerminalConsole.DETACH_NAME + "): this is the trapdoor prompt and vm is the guest;");
        screen.println("type continue to resume it with the console attached, :help for the rest, :quit to leave.");
        screen.flush();
        s.warmUp();
        new Repl(terminal, s, history).loop();
        RunResult last = s.lastResult(vm);
        if (last == null || TerminalConsole.isDetach(last)
                || last.reason() == dev.trapdoor.api.StopReason.BREAKPOINT || last.reason() == dev.trapdoor.api.StopReason.HOOK_STOP) return 0;
        return finish(s, last, watch, m);
    }

    private int finish(Session s, RunResult r, ConsoleWatch watch, LinuxMachine m) {
        BootOutcome o = BootOutcome.of(r, watch, m.isBatch());
        PrintWriter screen = s.out();
        if (m.getSerialFile() == null && !s.terminalConsole().atLineStart()) screen.println();
        screen.flush();
        if (o.message() != null) {
            err.println("trapdoor boot: " + o.message());
            err.flush();
        }
        return o.status();
    }
}
