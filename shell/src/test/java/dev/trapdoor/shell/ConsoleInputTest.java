package dev.trapdoor.shell;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Keys reach a guest whose console is the terminal; Ctrl-] pauses it at the prompt; continue attaches again. */
class ConsoleInputTest {
    @TempDir
    Path dir;

    private String echoVm() {
        Path guest = TestGuests.write(dir, "echo16.bin", TestGuests.ECHO16);
        return "vm = hv.createVm(name: 'echo', memory: '64K', console: term)\n"
                + "vm.load('" + guest.toString().replace("\\", "/") + "', 0x1000)\n";
    }

    /** Index of each needle in order, each after the one before; fails with the screen if one is missing. */
    private static void inOrder(String screen, String... needles) {
        int at = 0;
        for (String n : needles) {
            int i = screen.indexOf(n, at);
            assertTrue(i >= 0, "'" + n.replace("\u0003", "^C") + "' after offset " + at + " in:\n" + screen);
            at = i + n.length();
        }
    }

    @Test
    void keysGoToTheGuestAndCtrlCIsOneOfThem() {
        String screen = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> ReplHarness.runAttached(
                echoVm() + "run\n" + "hi\u0003q"));
        inOrder(screen, "[echo] " + Session.ATTACHED, "h", "i", "\u0003", "[echo] shutdown (status " + TestGuests.QUIT_STATUS + ")");
        assertFalse(screen.contains("interrupted"), "Ctrl-C went to the guest, it did not stop the run: " + screen);
    }

    @Test
    void ctrlRightBracketPausesTheGuestAndContinueAttachesAgain() {
        String screen = assertTimeoutPreemptively(Duration.ofSeconds(60), () -> ReplHarness.runAttached(
                echoVm() + "run\n" + "ab\u001d" + "vm.vcpu.running\n" + "continue\n" + "cdq"));
        inOrder(screen, "[echo] " + Session.ATTACHED, "[echo] interrupted: detached with Ctrl-]", Session.PAUSED,
                "false", "[echo] " + Session.ATTACHED, "[echo] shutdown (status " + TestGuests.QUIT_STATUS + ")");
        // What the guest echoed, in the order typed, whether 'a' and 'b' went back before the pause or after it.
        String echoed = screen.replaceAll("(?m)^\\[echo\\].*$|^trapdoor> .*$|" + java.util.regex.Pattern.quote(Session.PAUSED) + "|false|\\s", "");
        assertTrue(echoed.contains("abcd"), "echo: " + echoed + "\nscreen:\n" + screen);
        assertEquals(2, screen.split(java.util.regex.Pattern.quote(Session.ATTACHED), -1).length - 1, screen);
    }

    @Test
    void onAPipedPromptTheLinesAfterRunStayWithThePrompt() {
        // Without attachKeysAlways, a dumb terminal keeps its input for the prompt (the existing tests rely on that).
        String[] lines = {"vm = hv.createVm(name: 'p', memory: '64K', console: term)", "vm.load([0xf4] as byte[], 0x1000)", "run", "6 * 7"};
        String screen = ReplHarness.run(lines);
        assertTrue(screen.contains("[p] halted"), screen);
        assertTrue(screen.contains("42 (0x2a)"), screen);
        assertFalse(screen.contains(Session.ATTACHED), screen);
    }
}
