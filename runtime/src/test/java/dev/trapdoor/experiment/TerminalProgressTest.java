package dev.trapdoor.experiment;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.*;

class TerminalProgressTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
    private long now;

    private String text() {
        return bytes.toString(StandardCharsets.UTF_8);
    }

    @Test
    void ttyRedrawsOneLineWithRateAndEta() {
        var p = new TerminalProgress(out, true, () -> now);
        p.start("grid", 100);
        now = 2_000_000_000L;                      // 2 s in: 40 done -> 20/s, 60 left -> 3 s
        p.update(40, 1);
        String t = text();
        assertFalse(t.contains("\n"), "a TTY line is redrawn, not repeated: " + t);
        String last = t.substring(t.lastIndexOf('\r') + 1);
        assertEquals("grid [############..................] 40/100  1 failed  20/s  ETA 0:03", last);
        now += 10_000_000L;                        // 10 ms later: too soon to redraw
        p.update(41, 1);
        assertEquals(t, text());
        now = 4_000_000_000L;
        p.finish(100, 1);
        String end = text().substring(text().lastIndexOf('\r') + 1);
        assertEquals("grid [##############################] 100/100  1 failed  25/s  in 0:04\n", end);
    }

    @Test
    void shorterRedrawWipesTheLongerLineBeforeIt() {
        var p = new TerminalProgress(out, true, () -> now);
        p.start("x", 10);
        now = 1_000_000_000L;
        p.update(1, 9);        // "... 1/10  9 failed  1.00/s  ETA 0:09"
        int before = text().length() - text().lastIndexOf('\r');
        now = 2_000_000_000L;
        p.update(2, 0);        // shorter status, padded to the same width
        int after = text().length() - text().lastIndexOf('\r');
        assertEquals(before, after);
    }

    @Test
    void notATtyPrintsAPlainLineEachTenth() {
        var p = new TerminalProgress(out, false, () -> now);
        p.start("plain", 20);
        for (int i = 1; i <= 20; i++) {
            now = i * 100_000_000L;
            p.update(i, 0);
        }
        p.finish(20, 0);
        String[] lines = text().split("\n");
        assertFalse(text().contains("\r"));
        assertEquals("plain: 20 runs", lines[0]);
        assertEquals(1 + 9 + 1, lines.length, text());   // header, 10%..90%, final
        assertEquals("plain: 2/20  10/s  ETA 0:02", lines[1]);
        assertEquals("plain: 20/20  10/s  in 0:02", lines[10]);
    }

    @Test
    void durations() {
        assertEquals("0:00", TerminalProgress.duration(0.2));
        assertEquals("1:05", TerminalProgress.duration(65));
        assertEquals("2:00:01", TerminalProgress.duration(7201));
    }
}
