package dev.trapdoor.devices;

/**
 * What a device may ask of the machine it sits in: stop it or reset it. The machine acts on the
 * request between exits; the device's access itself returns normally.
 */
public interface MachineControl {
    /** Stops the machine; status is the exit status a batch run reports. */
    void requestShutdown(int status, String reason);

    /** Resets the machine (the i8042 reset line, a triple fault, the 0xcf9 reset register). */
    void requestReset(String reason);

    /** Drops every request: for devices wired on a board that cannot stop. */
    MachineControl IGNORE = new MachineControl() {
        @Override
        public void requestShutdown(int status, String reason) { }

        @Override
        public void requestReset(String reason) { }
    };
}
