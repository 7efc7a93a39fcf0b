package dev.trapdoor.shell;

import dev.trapdoor.boot.Initramfs;
import dev.trapdoor.devices.CharBackend;

import java.nio.charset.StandardCharsets;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A console in front of another that reads the guest's output line by line for the markers the
 * standard initramfs prints: {@code TRAPDOOR-USERSPACE-READY} once userspace runs, and
 * {@code TRAPDOOR-CMD-EXIT n} after the trapdoor.cmd command ended with status n. Bytes and
 * input pass through unchanged. Lines longer than {@value #MAX_LINE} bytes are cut for matching.
 */
public final class ConsoleWatch implements CharBackend {
    public static final String READY_MARKER = Initramfs.READY_MARKER;
    public static final String CMD_EXIT_MARKER = "TRAPDOOR-CMD-EXIT";
    private static final Pattern CMD_EXIT = Pattern.compile(Pattern.quote(CMD_EXIT_MARKER) + " (\\d{1,3})");
    private static final int MAX_LINE = 512;

    private final CharBackend inner;
    private final byte[] line = new byte[MAX_LINE];
    private int length;
    private volatile boolean ready;
    private volatile int commandStatus = -1;
    private volatile String lastLine = "";
    private Consumer<Integer> onCommandExit = s -> { };

    public ConsoleWatch(CharBackend inner) {
        if (inner == null) throw new IllegalArgumentException("a console watch needs a console to pass the bytes to");
        this.inner = inner;
    }

    /** Called with the status on the vCPU thread when the command's exit line is complete (e.g. vm.stop()). */
    public synchronized ConsoleWatch onCommandExit(Consumer<Integer> action) {
        onCommandExit = action == null ? s -> { } : action;
        return this;
    }

    public CharBackend inner() { return inner; }

    /** Whether the userspace marker line went by. */
    public boolean isReady() { return ready; }

    /** The status the guest's command ended with, or -1 if its exit line has not been seen. */
    public int getCommandStatus() { return commandStatus; }

    /** The last complete, non-empty line the guest sent (for "it stopped after ..." messages). */
    public String getLastLine() { return lastLine; }

    @Override
    public void write(int b) {
        inner.write(b);
        Consumer<Integer> fire = null;
        int status = -1;
        synchronized (this) {
            if (b == '\n') {
                String text = new String(line, 0, length, StandardCharsets.UTF_8).strip();
                length = 0;
                if (!text.isEmpty()) lastLine = text;
                if (text.equals(READY_MARKER)) ready = true;
                Matcher m = CMD_EXIT.matcher(text);
                if (m.matches() && commandStatus < 0) {
                    status = Integer.parseInt(m.group(1));
                    commandStatus = status;
                    fire = onCommandExit;
                }
            } else if (b != '\r' && length < MAX_LINE) {
                line[length++] = (byte) b;
            }
        }
        if (fire != null) fire.accept(status);
    }

    @Override
    public int poll() {
        return inner.poll();
    }

    @Override
    public boolean hasInput() {
        return inner.hasInput();
    }

    @Override
    public String toString() {
        return inner + " (watched for " + READY_MARKER + ")";
    }
}
