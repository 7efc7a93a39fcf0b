package dev.trapdoor.debug.gdb;

import org.junit.jupiter.api.Assumptions;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Runs Debian's real gdb in batch mode against a stub, for the tests that drive it. Skips where
 * /usr/bin/gdb is missing. {@code -Dgdb.debug=true} prints gdb's packet log.
 */
public final class GdbBatch {
    static final boolean DEBUG = Boolean.getBoolean("gdb.debug");
    static final Path GDB = Path.of("/usr/bin/gdb");

    private GdbBatch() {}

    /**
     * Runs gdb attached to the port: the setup commands before `target remote`, then the commands;
     * whileRunning gets the process as it runs. Returns stdout plus what gdb said on stderr (monitor
     * output, its own errors) without the packet log; fails on gdb's protocol complaints.
     */
    public static String run(int port, List<String> setup, Consumer<Process> whileRunning, String... commands)
            throws IOException, InterruptedException {
        Assumptions.assumeTrue(Files.isExecutable(GDB), "no " + GDB + " on this machine (apt-get install gdb)");
        List<String> cmd = new ArrayList<>(List.of(GDB.toString(), "-nx", "-batch"));
        for (String c : setup) cmd.addAll(List.of("-ex", c));
        cmd.addAll(List.of("-ex", "set debug remote " + (DEBUG ? 1 : 0), "-ex", "target remote :" + port));
        for (String c : commands) cmd.addAll(List.of("-ex", c));
        Process p = new ProcessBuilder(cmd).start();
        p.getOutputStream().close();
        Thread helper = Thread.ofPlatform().daemon().start(() -> whileRunning.accept(p));
        CompletableFuture<byte[]> err = CompletableFuture.supplyAsync(() -> {
            try {
                return p.getErrorStream().readAllBytes();
            } catch (IOException e) {
                return e.toString().getBytes(StandardCharsets.UTF_8);
            }
        });
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            fail("gdb did not finish");
        }
        helper.join(10_000);
        String text = new String(out, StandardCharsets.UTF_8);
        String errors = new String(err.join(), StandardCharsets.UTF_8);
        if (DEBUG) System.out.println(errors + "\n----\n" + text);
        String said = errors.lines().filter(l -> !l.trim().startsWith("[remote]")).reduce("", (a, b) -> a + b + "\n");
        for (String bad : List.of("Remote failure reply", "Remote connection closed", "Protocol error", "Cannot ", "Could not ")) {
            assertFalse(said.contains(bad), "gdb reported \"" + bad + "\":\n" + said + "\n" + text);
        }
        return text + said;
    }

    public static void assertLine(String out, String regex) {
        assertTrue(Pattern.compile(regex, Pattern.MULTILINE).matcher(out).find(), "no line matching /" + regex + "/ in:\n" + out);
    }
}
