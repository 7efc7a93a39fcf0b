package dev.trapdoor.shell;

import dev.trapdoor.api.Hypervisor;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/** Command line: no argument starts the prompt, {@code run FILE [args]} runs a script, {@code --help}. */
public final class Main {
    static final String USAGE = """
            usage: trapdoor                      start the interactive shell (Groovy; :js for JavaScript)
                   trapdoor run FILE [ARGS...]   run a .groovy or .js script and exit with its status
                   trapdoor boot --kernel FILE [--initrd FILE|--initramfs-busybox FILE] [--append STR] [--cmd "..."]
                                 [--memory 64M] [--backend interp|kvm] [--serial stdio|file:PATH] [--vmlinux] [--entry 32|64]
                                 [--realtime|--deterministic]
                                                 boot a kernel on a PC board, console here (trapdoor boot --help)
                   trapdoor --help               this text
            Scripts see hv (the hypervisor), args (their arguments), out(...) to print,
            opt('backend', 'interp') for the value of --backend X in args, and exit(n).
            Environment: TRAPDOOR_HOME (history file, default ~/.trapdoor_history),
                         TRAPDOOR_TIMING=1 (print the time from JVM start to the first prompt).""";

    private Main() {}

    public static void main(String[] argv) {
        System.exit(run(argv));
    }

    static int run(String[] argv) {
        if (argv.length == 0) return repl();
        switch (argv[0]) {
            case "--help", "-h", "help" -> {
                System.out.println(USAGE);
                return 0;
            }
            case "boot" -> {
                PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
                return new BootCommand(err, Main::openTerminal, historyFile()).run(Arrays.asList(argv).subList(1, argv.length));
            }
            case "run" -> {
                if (argv.length < 2) {
                    System.err.println("trapdoor run: which script? (trapdoor run FILE.groovy|FILE.js [ARGS...])");
                    return 2;
                }
                return batch(Path.of(argv[1]), Arrays.asList(argv).subList(2, argv.length));
            }
            default -> {
                System.err.println("trapdoor: unknown command '" + argv[0] + "'\n" + USAGE);
                return 2;
            }
        }
    }

    /** Runs one script; its exit status is the process's. */
    static int batch(Path file, List<String> args) {
        PrintWriter out = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8), true);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(System.err, StandardCharsets.UTF_8), true);
        return batch(file, args, out, err);
    }

    static int batch(Path file, List<String> args, PrintWriter out, PrintWriter err) {
        try (Session s = new Session(Hypervisor.create(), out, err, false)) {
            s.setArgs(args);
            return s.runFile(file);
        }
    }

    static int repl() {
        try (Terminal terminal = openTerminal()) {
            PrintWriter w = terminal.writer();
            Session s = new Session(Hypervisor.create(), w, w, true);
            s.warmUp();
            Path home = Path.of(System.getProperty("trapdoor.home", "."));
            String demo;
            try {
                demo = DemoVm.create(s, home);
            } catch (RuntimeException e) {
                demo = "no demo VM: " + ErrorLine.message(e);
            }
            w.println(banner(s, demo));
            if (System.getenv("TRAPDOOR_TIMING") != null) {
                Instant start = ProcessHandle.current().info().startInstant().orElse(Instant.now());
                w.println("(JVM start to prompt: " + Duration.between(start, Instant.now()).toMillis() + " ms)");
            }
            w.flush();
            try (s) {
                new Repl(terminal, s, historyFile()).loop();
            }
            return 0;
        } catch (IOException e) {
            System.err.println("trapdoor: cannot open the terminal: " + e.getMessage());
            return 1;
        }
    }

    /**
     * The system terminal; a dumb one, without complaint, when stdin or stdout is not a terminal;
     * plain ANSI when TERM names a terminal type with no terminfo entry (JLine would warn).
     */
    static Terminal openTerminal() throws IOException {
        java.io.Console console = System.console();
        boolean tty = console != null && console.isTerminal();
        TerminalBuilder b = TerminalBuilder.builder().name("trapdoor").system(true).encoding(StandardCharsets.UTF_8);
        String type = System.getenv("TERM");
        if (!tty) b.dumb(true).type(Terminal.TYPE_DUMB);
        else if (type != null && !type.isBlank() && !hasTerminfo(type)) b.type("ansi");
        return b.build();
    }

    /** JLine's built-in capability tables, or a compiled terminfo entry where ncurses keeps them. */
    private static boolean hasTerminfo(String type) {
        if (type.contains("/") || type.contains("..")) return false;
        if (org.jline.utils.InfoCmp.class.getResource(type + ".caps") != null) return true;
        String home = System.getProperty("user.home");
        for (String dir : new String[] {home + "/.terminfo", "/etc/terminfo", "/lib/terminfo", "/usr/share/terminfo", "/usr/lib/terminfo"}) {
            Path d = Path.of(dir);
            if (java.nio.file.Files.exists(d.resolve(type.substring(0, 1)).resolve(type))
                    || java.nio.file.Files.exists(d.resolve(String.format("%02x", (int) type.charAt(0))).resolve(type))) return true;
        }
        return false;
    }

    static String banner(Session s, String demo) {
        StringBuilder kvm = new StringBuilder();
        for (Map.Entry<String, String> e : s.hv().getBackends().entrySet()) {
            if (!kvm.isEmpty()) kvm.append(", ");
            kvm.append(e.getKey()).append(e.getValue() == null ? "" : " (unavailable)");
        }
        return "Trapdoor: a scriptable trap-and-emulate hypervisor. Groovy here, :js for JavaScript.\n"
                + "hv = the hypervisor (backends: " + kvm + ")\n"
                + demo + "\n"
                + "Type run to start it, break IO_INSTRUCTION to stop on port I/O, :help for the rest.\n"
                + "A guest on this terminal gets the keys while it runs (Ctrl-C too); Ctrl-] returns to the prompt.";
    }

    /** $TRAPDOOR_HOME/history, else ~/.trapdoor_history; null (no history) if the directory cannot be made. */
    static Path historyFile() {
        String home = System.getenv("TRAPDOOR_HOME");
        if (home == null || home.isBlank()) return Path.of(System.getProperty("user.home"), ".trapdoor_history");
        try {
            return java.nio.file.Files.createDirectories(Path.of(home)).resolve("history");
        } catch (IOException e) {
            System.err.println("trapdoor: no history: cannot create " + home + ": " + e.getMessage());
            return null;
        }
    }
}
