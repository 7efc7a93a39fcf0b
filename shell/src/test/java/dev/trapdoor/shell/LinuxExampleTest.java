package dev.trapdoor.shell;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** examples/linux/boot.groovy and boot.js: the batch form on the multiboot echo guest, and their refusal of missing guests. */
class LinuxExampleTest {
    static final Path EXAMPLES = Path.of("..", "examples", "linux").toAbsolutePath().normalize();

    @TempDir
    Path dir;

    private record Result(int status, String out, String err) {}

    private static Result run(String script, List<String> args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int status = assertTimeoutPreemptively(Duration.ofSeconds(120),
                () -> Main.batch(EXAMPLES.resolve(script), args, new PrintWriter(out, true), new PrintWriter(err, true)));
        return new Result(status, out.toString(), err.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"boot.groovy", "boot.js"})
    void batchFormStopsAtTheCommandsExitLineWithItsStatus(String script) throws Exception {
        Path kernel = TestGuests.write(dir, "echo.mb", TestGuests.MULTIBOOT_ECHO);
        Path initrd = Files.write(dir.resolve("initrd.img"), new byte[4096]);
        Result r = run(script, List.of("--kernel", kernel.toString(), "--initrd", initrd.toString(), "--memory", "8M", "--cmd", "uname -m"));
        assertEquals(TestGuests.MULTIBOOT_CMD_STATUS, r.status(), r.toString());
        assertTrue(r.out().contains(ConsoleWatch.READY_MARKER) && r.out().contains("trapdoor.cmd=\"uname -m\""), r.toString());
        assertTrue(r.out().contains("TRAPDOOR-CMD-EXIT 3\n"), r.toString());
    }

    @ParameterizedTest
    @ValueSource(strings = {"boot.groovy", "boot.js"})
    void aMissingKernelIsOneLineAndStatusTwo(String script) {
        Result r = run(script, List.of("--kernel", dir.resolve("none").toString(), "--initrd", dir.resolve("none").toString()));
        assertEquals(BootOutcome.USAGE, r.status(), r.toString());
        assertEquals("", r.out(), "nothing ran (the sentence goes to the process's stderr)");
    }
}
