package dev.trapdoor.devices;

/** TEMPORARY PLACEHOLDER (shell worktree only). */
public final class BufferCharBackend implements CharBackend {
    private final StringBuilder sb = new StringBuilder();
    public synchronized void write(int b) { sb.append((char) (b & 0xff)); }
    public synchronized String text() { return sb.toString(); }
}
