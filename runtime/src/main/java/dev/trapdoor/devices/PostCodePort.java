package dev.trapdoor.devices;

/** TEMPORARY PLACEHOLDER (shell worktree only). */
public final class PostCodePort implements PioDevice {
    public int read(int o, int s) { return 0; }
    public void write(int o, int s, int v) {}
}
