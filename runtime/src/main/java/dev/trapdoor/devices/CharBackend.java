package dev.trapdoor.devices;

/**
 * The host side of a character device (a UART's cable): where the guest's bytes go and where its
 * input comes from. Front ends (the UART) poll {@link #poll()} for input; backends never block
 * the vCPU.
 */
public interface CharBackend {
    /** The guest sent one byte. */
    void write(int b);

    /** The next input byte, or -1 if none is waiting. */
    default int poll() { return -1; }

    /** Whether input is waiting (an idle guest with real-time pacing wakes for it). */
    default boolean hasInput() { return false; }
}
