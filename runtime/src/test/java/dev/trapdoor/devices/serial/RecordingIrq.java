package dev.trapdoor.devices.serial;

import dev.trapdoor.devices.IrqLine;

/** An interrupt line that remembers its level and counts rising edges, as an edge-triggered PIC sees them. */
final class RecordingIrq implements IrqLine {
    boolean level;
    int risingEdges;
    int calls;

    @Override
    public void set(boolean l) {
        calls++;
        if (l && !level) risingEdges++;
        level = l;
    }
}
