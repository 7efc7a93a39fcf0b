package dev.trapdoor.shell;

import dev.trapdoor.api.Hypervisor;
import dev.trapdoor.api.Vm;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/** The shell's gdb command: it starts the current VM's stub, prints the port, and routes gdb's monitor into shell words. */
class GdbCommandTest {
    private static final Pattern PORT = Pattern.compile("target remote :(\\d+)");

    @Test
    void gdbPrintsThePortAndStopCloses() {
        String screen = ReplHarness.run(script(ReplHarness.helloVm("g"), "gdb", "gdb", "gdb stop", "gdb = 3", "gdb"));
        Matcher m = PORT.matcher(screen);
        assertTrue(m.find(), screen);
        int first = Integer.parseInt(m.group(1));
        assertTrue(first > 0 && first < 65536, screen);
        assertTrue(screen.contains("gdb stub for g on loopback port " + first + " (in gdb: target remote :" + first + ")"), screen);
        assertTrue(m.find() && Integer.parseInt(m.group(1)) == first, "a second gdb shows the running stub: " + screen);
        assertTrue(screen.contains("gdb stub of g closed"), screen);
        assertTrue(screen.contains("3 (0x3)") || screen.contains("> 3\n"), "gdb = 3 is Groovy: " + screen);
        assertTrue(m.find(), "gdb starts again after gdb stop: " + screen);
    }

    @Test
    void monitorRunsTheShellsReadAndPokeWordsOnly() throws Exception {
        StringWriter screen = new StringWriter();
        PrintWriter w = new PrintWriter(screen, true);
        try (Session s = new Session(Hypervisor.create(), w, w, true)) {
            Vm vm = s.hv().createVm(Map.of("name", "m", "memory", "1M"));
            vm.getMem().write(0x1100, "Hello");
            s.setVm(vm);
            var monitor = Commands.monitor(s);
            assertTrue(monitor.apply("mem 0x1100 5").startsWith("00001100: 48 65 6c 6c 6f"), monitor.apply("mem 0x1100 5"));
            assertEquals("wrote 2 bytes at 0x1100\n", monitor.apply("poke 0x1100 \"J\\x61\""));
            assertEquals("Jallo", vm.getMem().readString(0x1100, 5));
            assertTrue(monitor.apply("mem vm.vcpu.esi").contains("gdb's monitor takes numbers only"), "no script evaluation off the prompt's thread");
            assertTrue(monitor.apply("run").startsWith("unknown monitor command 'run'"), "running the VM from its own debugger is refused");
            assertTrue(monitor.apply("vms").contains("vm 'm' on interp"), monitor.apply("vms"));
        }
    }

    /** Real gdb against a stub the shell started: monitor mem goes through the shell's hexdump. */
    @Test
    void realGdbReachesTheShellThroughMonitor() throws Exception {
        Path gdb = Path.of("/usr/bin/gdb");
        Assumptions.assumeTrue(Files.isExecutable(gdb), "no /usr/bin/gdb on this machine");
        Assumptions.assumeTrue(Files.isRegularFile(ReplHarness.HELLO), "no hello guest at " + ReplHarness.HELLO);
        StringWriter screen = new StringWriter();
        PrintWriter w = new PrintWriter(screen, true);
        try (Session s = new Session(Hypervisor.create(), w, w, true)) {
            Vm vm = s.hv().createVm(Map.of("name", "r", "memory", "1M"));
            vm.load(ReplHarness.HELLO.toString(), 0x1000);
            vm.getVcpu().resetRealMode(0, 0x1000);
            s.setVm(vm);
            new Commands(s).execute(CommandLine.parse("gdb"));
            Matcher m = PORT.matcher(screen.toString());
            assertTrue(m.find(), screen.toString());
            Process p = new ProcessBuilder(List.of(gdb.toString(), "-nx", "-batch", "-ex", "target remote :" + m.group(1),
                    "-ex", "monitor mem 0x1100 16", "-ex", "monitor regs", "-ex", "detach")).redirectErrorStream(true).start();
            p.getOutputStream().close();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "gdb finished");
            assertTrue(out.contains("00001100: 48 65 6c 6c 6f 20 66 72  6f 6d 20 74 68 65 20 67  Hello from the g"), out);
            assertTrue(out.contains("eip=00001000"), out);
        }
    }

    private static String[] script(String[] prefix, String... lines) {
        List<String> all = new java.util.ArrayList<>(List.of(prefix));
        all.addAll(List.of(lines));
        return all.toArray(String[]::new);
    }
}
