package dev.trapdoor.bench;

import dev.trapdoor.devices.CharBackend;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.function.LongSupplier;

/**
 * A serial cable for benchmarks: echoes the guest's console to a stream line by line (so a
 * watching script sees it as it comes), and records the wall time and the guest instruction count
 * when the first line holding the marker is complete.
 */
final class MarkerConsole implements CharBackend {
    private final byte[] marker;
    private final PrintStream echo;
    private final LongSupplier instructions;
    private final StringBuilder text = new StringBuilder();
    private final byte[] line = new byte[4096];
    private int lineLength;
    private long markerNanos = -1;
    private long markerInstructions = -1;

    MarkerConsole(String marker, PrintStream echo, LongSupplier instructions) {
        this.marker = marker.getBytes(StandardCharsets.US_ASCII);
        this.echo = echo;
        this.instructions = instructions;
    }

    @Override
    public void write(int b) {
        if (lineLength < line.length) line[lineLength++] = (byte) b;
        if (b != '\n') return;
        String s = new String(line, 0, lineLength, StandardCharsets.UTF_8);
        lineLength = 0;
        text.append(s);
        if (echo != null) {
            echo.print(s);
            echo.flush();
        }
        if (markerNanos < 0 && s.contains(new String(marker, StandardCharsets.US_ASCII))) {
            markerNanos = System.nanoTime();
            markerInstructions = instructions.getAsLong();
        }
    }

    boolean sawMarker() { return markerNanos >= 0; }
    long markerNanos() { return markerNanos; }
    long markerInstructions() { return markerInstructions; }

    /** Everything the guest printed in complete lines. */
    String text() { return text.toString(); }
}
