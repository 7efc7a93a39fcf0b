package dev.trapdoor.devices;

/** TEMPORARY PLACEHOLDER (shell worktree only). */
public final class DebugExit implements PioDevice {
    private final MachineControl m;
    public DebugExit(MachineControl m, int size) { this.m = m; }
    public int read(int o, int s) { return 0; }
    public void write(int o, int s, int v) { m.requestShutdown((v << 1) | 1, "debug-exit"); }
}
