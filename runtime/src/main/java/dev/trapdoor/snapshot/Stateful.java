package dev.trapdoor.snapshot;

/**
 * A part of the machine whose state a snapshot holds: a device, a vCPU core, a VMCS, the clock.
 * {@link #saveState} writes everything that decides the part's future behaviour (registers,
 * FIFOs, latches, timer deadlines); {@link #loadState} puts exactly that back, re-arming the
 * part's timers from the saved deadlines. Statistics may be saved too; host-side connections
 * (backends, IRQ lines, callbacks) are wiring, not state, and stay as they are.
 */
public interface Stateful {
    void saveState(StateWriter out);

    /** Reads what {@link #saveState} wrote; a {@link SnapshotException} on malformed data. */
    void loadState(StateReader in);

    /**
     * Parts with a higher order load later. Interrupt controllers load after the devices that
     * drive their input lines, so a device re-driving its restored line level finds the
     * controller's inputs already at that level, then the controller's own saved state wins.
     */
    default int loadOrder() {
        return 0;
    }
}
