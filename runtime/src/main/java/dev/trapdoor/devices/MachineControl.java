package dev.trapdoor.devices;

/** How a device asks the machine to stop or reset (isa-debug-exit, the i8042 reset line, triple fault policy). */
public interface MachineControl {
    /** Stop the machine; status is what the VMM process would exit with. */
    void requestShutdown(int status, String reason);

    void requestReset(String reason);
}
