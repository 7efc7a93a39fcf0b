package dev.trapdoor.devices.serial;

import dev.trapdoor.devices.CharBackend;
import dev.trapdoor.devices.IrqLine;
import dev.trapdoor.devices.PioDevice;

/** TEMPORARY PLACEHOLDER (shell worktree only). */
public final class Uart16550 implements PioDevice {
    private final CharBackend out;
    public Uart16550(IrqLine irq, CharBackend out) { this.out = out; }
    public int read(int o, int s) { return o == 5 ? 0x60 : 0; }
    public void write(int o, int s, int v) { if (o == 0) out.write(v); }
}
