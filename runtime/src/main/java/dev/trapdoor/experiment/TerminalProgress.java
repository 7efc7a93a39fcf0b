package dev.trapdoor.experiment;

import java.io.PrintStream;
import java.util.function.LongSupplier;

/**
 * The terminal progress display. On a TTY: {@code \r[#####.....]  42/100  1 failed  12.3/s  ETA 0:05}
 * redrawn at most ten times a second. Elsewhere: a plain line at each tenth of the way and at the end.
 */
final class TerminalProgress implements Progress {
    private static final int BAR = 30;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintStream out;
    private final boolean tty;
    private final LongSupplier clock;
    private String label = "sweep";
    private int total;
    private long startNanos;
    private long lastDraw;
    private int lastTenth;
    private int lastWidth;

    TerminalProgress(PrintStream out, boolean tty, LongSupplier clock) {
        this.out = out;
        this.tty = tty;
        this.clock = clock;
    }

    @Override
    public synchronized void start(String label, int total) {
        this.label = label;
        this.total = total;
        startNanos = clock.getAsLong();
        lastDraw = Long.MIN_VALUE;
        lastTenth = 0;
        lastWidth = 0;
        if (tty) draw(0, 0, startNanos);
        else out.println(label + ": " + total + " runs");
    }

    @Override
    public synchronized void update(int done, int failed) {
        long now = clock.getAsLong();
        if (tty) {
            if (now - lastDraw >= REDRAW_NANOS) draw(done, failed, now);
        } else {
            int tenth = total == 0 ? 10 : (int) (10L * done / total);
            if (tenth > lastTenth && done < total) {
                lastTenth = tenth;
                out.println(label + ": " + status(done, failed, now));
            }
        }
    }

    @Override
    public synchronized void finish(int done, int failed) {
        long now = clock.getAsLong();
        if (tty) {
            draw(done, failed, now);
            out.println();
        } else {
            out.println(label + ": " + status(done, failed, now));
        }
        out.flush();
    }

    private void draw(int done, int failed, long now) {
        lastDraw = now;
        StringBuilder b = new StringBuilder();
        b.append('\r').append(label).append(" [");
        int filled = total == 0 ? BAR : (int) ((long) BAR * done / total);
        b.repeat('#', filled).repeat('.', BAR - filled).append("] ");
        b.append(status(done, failed, now));
        int width = b.length() - 1;
        if (width < lastWidth) b.repeat(' ', lastWidth - width);   // wipe what a longer line left
        lastWidth = width;
        out.print(b);
        out.flush();
    }

    /** "42/100  1 failed  12.3/s  ETA 0:05", or "100/100 in 0:08  12.5/s" at the end. */
    String status(int done, int failed, long now) {
        double seconds = Math.max(0, now - startNanos) / 1e9;
        StringBuilder b = new StringBuilder();
        b.append(done).append('/').append(total);
        if (failed > 0) b.append("  ").append(failed).append(" failed");
        if (done > 0 && seconds > 0) {
            double rate = done / seconds;
            b.append("  ").append(rate >= 10 ? String.format(java.util.Locale.ROOT, "%.0f", rate) : String.format(java.util.Locale.ROOT, "%.2f", rate)).append("/s");
            if (done < total) b.append("  ETA ").append(duration((total - done) / rate));
            else b.append("  in ").append(duration(seconds));
        }
        return b.toString();
    }

    static String duration(double seconds) {
        long s = Math.round(seconds);
        if (s >= 3600) return String.format(java.util.Locale.ROOT, "%d:%02d:%02d", s / 3600, s / 60 % 60, s % 60);
        return String.format(java.util.Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
